import { createEffect, createMemo, createSignal, Match, on, onCleanup, Show, Switch } from "solid-js";
import Alert from "../../components/Alert";
import Amount from "../../components/Amount";
import { AmountField, AssetSelectField } from "../../components/AssetFields";
import FormError from "../../components/FormError";
import NetworkNote from "../../components/NetworkNote";
import QrCode from "../../components/QrCode";
import StatusBadge from "../../components/StatusBadge";
import SubmitButton from "../../components/SubmitButton";
import { announce } from "../../lib/announce";
import { ApiError, api } from "../../lib/api";
import type { PublicConfig } from "../../lib/config";
import { createDepositNews } from "../../lib/deposit-news";
import { focusFirstInvalid, focusIfLost, focusRefusal } from "../../lib/focus";
import { formatDateTime } from "../../lib/format";
import { actionMessage, type FieldErrors } from "../../lib/forms";
import { createIdempotentSubmission, replayedNote } from "../../lib/idempotency";
import { amountProblem, precisionOf } from "../../lib/money";
import { moneyProblem } from "../../lib/money-errors";
import { networkOf } from "../../lib/networks";
import type { DepositOrder, Tx } from "../../lib/wallet";
import { onFrame, onResync } from "../../lib/ws";
import { copyText } from "./copy";

/** How often a pending order is asked for (API.md: the sandbox confirms after about 10 s). */
export const DEPOSIT_POLL_MS = 3000;

const HINTS = { asset: "Choose an asset.", amount: "Enter a plain positive amount within the asset's decimals." };

/** Fiat arrives by card or bank transfer: its "address" is a payment reference to quote. */
const isFiat = (asset: string) => asset === "USD";

/** "USDT on Ethereum (ERC-20)": the asset with the network it must come on, where one is known. */
function onNetwork(asset: string): string {
  const network = networkOf(asset);
  return network ? `${asset} on ${network}` : asset;
}

/** How the order ended, shown: each change is said once by DepositPanel (lib/deposit-news), not by these. */
function OrderOutcome(props: { order: DepositOrder; precision: number | undefined }) {
  return (
    <Switch>
      <Match when={props.order.status === "confirmed" || props.order.status === "confirmed_late"}>
        <Alert tone="success" title="Deposit credited" quiet>
          <p>
            <Amount value={props.order.amountReceived} asset={props.order.asset} precision={props.precision} /> arrived and is in
            your available balance.
            {props.order.status === "confirmed_late" ? " The payment came after the order expired, and was still credited." : ""}
          </p>
        </Alert>
      </Match>
      <Match when={props.order.status === "partially_paid"}>
        <Alert tone="warn" title="Partially paid" quiet>
          <p>
            Only <Amount value={props.order.amountReceived} asset={props.order.asset} precision={props.precision} /> of{" "}
            <Amount value={props.order.amount} asset={props.order.asset} precision={props.precision} /> arrived. What arrived is
            credited to your balance.
          </p>
        </Alert>
      </Match>
      <Match when={props.order.status === "expired"}>
        <Alert tone="error" title="Order expired" quiet>
          <p>No payment arrived before the order expired. Create a new deposit to get a fresh address.</p>
        </Alert>
      </Match>
      <Match when={props.order.status === "failed"}>
        <Alert tone="error" title="Payment failed" quiet>
          <p>The payment provider reported this payment as failed. Nothing was credited.</p>
        </Alert>
      </Match>
    </Switch>
  );
}

function OrderCard(props: {
  order: DepositOrder;
  precision: number | undefined;
  pollError?: string;
  /** The order is the first answer of its request, replayed: it had been created before (idempotency.ts). */
  replayed: boolean;
  onClose: () => void;
}) {
  const [copied, setCopied] = createSignal<boolean>();
  const fiat = () => isFiat(props.order.asset);
  const closeLabel = () => (props.order.status === "pending" ? "Hide" : "Done");
  const addressLabel = () => (fiat() ? "Payment reference" : `${props.order.asset} pay address`);
  return (
    <article class="card order" aria-labelledby="order-title">
      <div class="panel-head">
        <div>
          {/* "Create deposit" goes with its form: focus comes here (the Deposits list's Show puts it on the panel's heading). */}
          <h3 id="order-title" class="order-title" ref={focusIfLost()}>
            {props.replayed ? "Deposit order already created" : "Deposit order"}
          </h3>
          <p class="small muted">
            Created <time datetime={props.order.createdAt}>{formatDateTime(props.order.createdAt)}</time>
          </p>
          <Show when={props.replayed}>
            <p class="small">
              {replayedNote("deposit", props.order.createdAt)} To create another on purpose, choose {closeLabel()}.
            </p>
          </Show>
        </div>
        <StatusBadge status={props.order.status} />
      </div>
      <div class="order-body">
        <QrCode
          text={props.order.payAddress}
          label={`QR code of the ${fiat() ? "payment reference" : "pay address"} ${props.order.payAddress}`}
        />
        <dl class="facts order-facts">
          <div>
            <dt>{addressLabel()}</dt>
            <dd>
              <code class="pay-address">{props.order.payAddress}</code>
              <button
                type="button"
                class="button button-small"
                onClick={async () => setCopied(await copyText(props.order.payAddress))}
              >
                Copy
              </button>
            </dd>
            <Show when={copied() !== undefined}>
              <p class="small muted" role="status">
                {copied() ? "Copied." : "Could not copy; select the text instead."}
              </p>
            </Show>
            <Show when={networkOf(props.order.asset)}>
              <p class="small">
                <NetworkNote asset={props.order.asset} />
              </p>
            </Show>
          </div>
          <div>
            <dt>Amount to pay</dt>
            <dd>
              <Amount value={props.order.amount} asset={props.order.asset} precision={props.precision} />
            </dd>
          </div>
          <div>
            <dt>Received</dt>
            <dd>
              <Amount value={props.order.amountReceived} asset={props.order.asset} precision={props.precision} />
            </dd>
          </div>
          <div>
            <dt>Expires</dt>
            <dd>
              <time datetime={props.order.expiresAt}>{formatDateTime(props.order.expiresAt)}</time>
            </dd>
          </div>
        </dl>
      </div>
      <Show
        when={props.order.status === "pending"}
        fallback={
          <div class="stack section-gap">
            <OrderOutcome order={props.order} precision={props.precision} />
          </div>
        }
      >
        {/* Live for a failure to check the order only: its status changes are said by DepositPanel. */}
        <div aria-live="polite" class="stack section-gap">
          <p class="loading small">
            <span class="spinner" aria-hidden="true" />
            {fiat()
              ? "Waiting for your payment. Quote the reference above with your card or bank payment."
              : `Waiting for your payment. Send exactly this amount of ${onNetwork(props.order.asset)} to the address above.`}{" "}
            This page updates by itself.
          </p>
          <Show when={props.pollError}>{(message) => <p class="small warn-text">{message()}</p>}</Show>
        </div>
      </Show>
      <div class="button-row section-gap">
        <button type="button" class="button button-small" onClick={() => props.onClose()}>
          {closeLabel()}
        </button>
      </div>
    </article>
  );
}

/** Deposit: an order with a pay address (and its QR code), followed until the money arrives. */
export default function DepositPanel(props: {
  config: PublicConfig;
  order: DepositOrder | undefined;
  setOrder: (order: DepositOrder | undefined) => void;
  /** A new order was created (the deposits list changed). */
  onCreated: () => void;
  /** The shown order left "pending": balances and lists changed. */
  onSettled: () => void;
}) {
  const [asset, setAsset] = createSignal(props.config.assets[0]?.symbol ?? "");
  const [amount, setAmount] = createSignal("");
  const [busy, setBusy] = createSignal(false);
  const [errors, setErrors] = createSignal<FieldErrors>({});
  const [formError, setFormError] = createSignal<string>();
  const [pollError, setPollError] = createSignal<string>();
  /** The order whose create answer was a replay (the same request had gone through before), while it is shown. */
  const [replayedId, setReplayedId] = createSignal<string>();
  const submission = createIdempotentSubmission("deposit");
  let form: HTMLFormElement | undefined;
  let heading: HTMLHeadingElement | undefined;

  const precision = () => precisionOf(props.config, asset());
  const orderPrecision = () => (props.order ? precisionOf(props.config, props.order.asset) : undefined);

  /**
   * Asks for the shown order again and shows the answer, unless another order is shown by then. Leaving "pending"
   * changed balances and the deposits list (an expiry or a failure has no live event of its own).
   */
  const reload = async (orderId: string): Promise<DepositOrder | undefined> => {
    const { order } = await api.get<{ order: DepositOrder }>(`/api/wallet/deposit/${encodeURIComponent(orderId)}`);
    const before = props.order;
    if (before?.orderId !== orderId) return undefined;
    props.setOrder(order);
    if (before.status === "pending" && order.status !== "pending") props.onSettled();
    return order;
  };

  // Each change of the order shown is said once, however often it is asked for or shown again.
  const news = createDepositNews();
  createEffect(
    on(
      () => props.order,
      (order) => {
        const text = news(order);
        if (text) announce(text);
      },
    ),
  );

  /** The id of the shown order while it is pending: polling follows this, and stops when it changes. */
  const pendingId = createMemo(() => (props.order?.status === "pending" ? props.order.orderId : undefined));

  createEffect(
    on(pendingId, (orderId) => {
      setPollError(undefined);
      if (!orderId) return;
      let stopped = false;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const tick = async () => {
        try {
          const order = await reload(orderId);
          if (stopped) return;
          setPollError(undefined);
          if (order?.status !== "pending") return;
        } catch (error) {
          if (stopped) return;
          if (error instanceof ApiError && (error.status === 401 || error.status === 404)) {
            setPollError(`Stopped checking: ${error.message}`);
            return;
          }
          setPollError(`Could not check the order (${actionMessage(error)}); trying again.`);
        }
        timer = setTimeout(tick, DEPOSIT_POLL_MS);
      };
      timer = setTimeout(tick, DEPOSIT_POLL_MS);
      onCleanup(() => {
        stopped = true;
        clearTimeout(timer);
      });
    }),
  );

  // Past "pending" an order still changes whenever a payment arrives (after expiry it is credited as
  // confirmed_late, a partial payment can be completed), and each credit is a `transaction` frame naming the
  // order: the shown order follows those frames instead of being polled forever. Frames missed while live updates
  // were down are made up for when they resume (onResync).
  const reloadShown = () => {
    const shown = props.order;
    if (shown) reload(shown.orderId).catch(() => undefined);
  };
  onCleanup(
    onFrame("transaction", (frame) => {
      const tx = frame.data as Partial<Tx> | undefined;
      if (tx?.type === "deposit" && tx.reference === props.order?.orderId) reloadShown();
    }),
  );
  onCleanup(onResync(reloadShown));

  const submit = async (event: SubmitEvent) => {
    event.preventDefault();
    if (busy()) return;
    setFormError(undefined);
    const problem = amountProblem(amount(), precision(), asset());
    if (problem) {
      setErrors({ amount: problem });
      focusFirstInvalid(form);
      return;
    }
    const body = { asset: asset(), amount: amount() };
    setBusy(true);
    setErrors({});
    try {
      const answer = await api.postIdempotent<{ order: DepositOrder }>("/api/wallet/deposit/create", body, {
        idempotencyKey: submission.keyFor(body),
      });
      submission.settle();
      setAmount("");
      setReplayedId(answer.replayed ? answer.body.order.orderId : undefined);
      props.setOrder(answer.body.order);
      props.onCreated();
    } catch (error) {
      submission.failed(error);
      const found = moneyProblem(error, { kind: "deposit", hints: HINTS });
      setErrors(found.fields);
      setFormError(found.form);
      focusRefusal(form);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="panel" aria-labelledby="deposit-title">
      <div class="panel-head">
        <div>
          <h2 id="deposit-title" tabindex="-1" ref={heading}>
            Deposit
          </h2>
          <p class="muted small">Get a pay address (or, for USD, a payment reference) for the amount you will send.</p>
        </div>
      </div>
      <Show
        when={props.order}
        fallback={
          <form ref={form} class="form" onSubmit={submit} novalidate>
            <AssetSelectField
              assets={props.config.assets}
              selected={asset()}
              error={errors().asset}
              onSelect={(symbol) => {
                setAsset(symbol);
                setErrors({});
              }}
            />
            <AmountField
              precision={precision()}
              value={amount()}
              onInput={(event) => setAmount(event.currentTarget.value)}
              hint={
                <>
                  In {asset()}, up to {precision() ?? 0} decimal places. <NetworkNote asset={asset()} />
                </>
              }
              error={errors().amount}
            />
            <FormError message={formError()} />
            <div>
              <SubmitButton busy={busy()} busyLabel="Creating…">
                Create deposit
              </SubmitButton>
            </div>
          </form>
        }
      >
        {(order) => (
          <OrderCard
            order={order()}
            precision={orderPrecision()}
            pollError={pollError()}
            replayed={order().orderId === replayedId()}
            onClose={() => {
              // Hide or Done goes with the card: focus waits at the top of the panel, over the form shown again.
              setReplayedId(undefined);
              props.setOrder(undefined);
              heading?.focus();
            }}
          />
        )}
      </Show>
    </section>
  );
}
