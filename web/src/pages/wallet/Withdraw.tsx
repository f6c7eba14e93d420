import { createEffect, createSignal, For, Match, on, Show, Switch } from "solid-js";
import Amount from "../../components/Amount";
import { AmountField, AssetSelectField } from "../../components/AssetFields";
import { SelectField } from "../../components/Field";
import NetworkNote from "../../components/NetworkNote";
import { ConfirmControls, ConfirmStep, ReviewButton } from "../../components/ReviewButtons";
import ReviewNote, { reviewRule } from "../../components/ReviewNote";
import { api } from "../../lib/api";
import type { PublicConfig } from "../../lib/config";
import { focusById, focusControl, focusFirstInvalid } from "../../lib/focus";
import { formatDateTime } from "../../lib/format";
import { clearMessagesOnEdit, type FieldErrors, refuseProblems, withoutField } from "../../lib/forms";
import { createIdempotentSubmission } from "../../lib/idempotency";
import {
  addAmounts,
  amountProblem,
  assetInfo,
  formatAmount,
  formatUsd,
  isZero,
  largestBeforeFee,
  lessThan,
  sharedDecimals,
  smallestWithdrawal,
} from "../../lib/money";
import { moneyProblem, showRefusal } from "../../lib/money-errors";
import { networkOf, networkWarning } from "../../lib/networks";
import { liveUsdValue, useLivePrices } from "../../lib/prices";
import { CODE_MISSING, readSecondFactor, withSecondFactor } from "../../lib/second-factor";
import type { User } from "../../lib/session";
import { type Balance, type BookAddress, isActive, type Withdrawal } from "../../lib/wallet";
import { createWithdrawalPause } from "../../lib/withdrawal-pause";
import WithdrawalRequested from "./WithdrawalRequested";

const HINTS = {
  asset: "Choose an asset.",
  amount: "Enter a plain positive amount within the asset's decimals.",
  address: "Choose an address from your address book.",
  code: CODE_MISSING,
};

const OVER_BALANCE = "Amount plus the fee is more than your available balance.";

/**
 * Withdraw to an address of the address book: the details, then a review of what leaves the balance and where to
 * (with the authentication code when 2FA is on), then the request; amount plus the asset's fee is held at once (202).
 */
export default function WithdrawPanel(props: {
  config: PublicConfig;
  user: User;
  balances: Balance[] | undefined;
  addresses: BookAddress[] | undefined;
  /** The withdrawals loaded (kept live by the page): the one just requested is said at its status there. */
  withdrawals: readonly Withdrawal[];
  onRequested: () => void;
}) {
  useLivePrices();
  const [step, setStep] = createSignal<"edit" | "confirm">("edit");
  const [asset, setAsset] = createSignal(props.config.assets[0]?.symbol ?? "");
  const [amount, setAmount] = createSignal("");
  const [address, setAddress] = createSignal("");
  const [busy, setBusy] = createSignal(false);
  const [errors, setErrors] = createSignal<FieldErrors>({});
  const [formError, setFormError] = createSignal<{ text: string; code?: string }>();
  const [done, setDone] = createSignal<Withdrawal>();
  /** `done` as the withdrawals list has it now (sent, or refused, since its answer); as answered until it is listed. */
  const requested = () => {
    const answered = done();
    return answered && (props.withdrawals.find((w) => w.id === answered.id) ?? answered);
  };
  /** `done` is the first answer, replayed: that withdrawal had been requested before (idempotency.ts). */
  const [replayed, setReplayed] = createSignal(false);
  const submission = createIdempotentSubmission("withdraw");
  /** While withdrawals are paused the server refuses any (403): not worth typing an amount and spending a code. */
  const pausedUntil = createWithdrawalPause(() => props.user);
  let form: HTMLFormElement | undefined;
  /** The review step's form: the authentication code, when 2FA is on, is asked there. */
  let confirmForm: HTMLFormElement | undefined;

  const info = () => assetInfo(props.config, asset());
  const precision = () => info()?.precision;
  const fee = () => info()?.withdrawalFee ?? "0";
  const balance = () => props.balances?.find((b) => b.asset === asset());
  const choices = () => (props.addresses ?? []).filter((a) => a.asset === asset());
  const usable = () => choices().filter((a) => isActive(a));
  const chosen = () => usable().find((a) => a.address === address());
  const reviewUsd = () => props.config.limits.withdrawalReviewUsd;

  /** amount + fee, exact, once the amount is a valid one. */
  const total = () => {
    const p = precision();
    if (p === undefined || amountProblem(amount(), p) !== undefined) return undefined;
    return addAmounts(amount(), fee(), p);
  };
  const overBalance = () => {
    const t = total();
    const available = balance()?.available;
    const p = precision();
    return t !== undefined && available !== undefined && p !== undefined && lessThan(available, t, p) === true;
  };
  /** The smallest amount the server takes: more than the fee. */
  const minimum = () => {
    const p = precision();
    return p === undefined || isZero(fee()) ? undefined : smallestWithdrawal(fee(), p);
  };
  /**
   * What the available balance must be more than for any withdrawal: twice the fee, an amount more than the fee
   * and the fee on top. Said so, not as the smallest withdrawal and its fee (ETH's come to 0.002000000000000001).
   */
  const twiceFee = () => {
    const p = precision();
    return p === undefined ? undefined : addAmounts(fee(), fee(), p);
  };
  const belowMinimum = () => {
    const least = minimum();
    const p = precision();
    return least !== undefined && p !== undefined && lessThan(amount(), least, p) === true;
  };
  /**
   * What "Max" fills in: the available balance less the fee; undefined while unknown, or when that is less than the
   * smallest withdrawal (which the form, as the server, would refuse).
   */
  const largest = () => {
    const available = balance()?.available;
    const p = precision();
    const most = available === undefined || p === undefined ? undefined : largestBeforeFee(available, fee(), p);
    const least = minimum();
    return most !== undefined && p !== undefined && least !== undefined && lessThan(most, least, p) ? undefined : most;
  };
  /** The amount's USD value at the live price; not shown for USD itself, whose value it is. */
  const valueUsd = () => liveUsdValue(props.config, asset(), amount());
  const shownValueUsd = () => (asset() === "USD" ? undefined : valueUsd());

  // The address list belongs to the asset: pick the first usable one of the new asset.
  createEffect(
    on([asset, () => props.addresses], () => {
      if (!usable().some((a) => a.address === address())) setAddress(usable()[0]?.address ?? "");
    }),
  );

  const clearMessages = clearMessagesOnEdit(setErrors, setFormError);
  /**
   * Any edit starts the next withdrawal, so the last one's confirmation goes too: shown over the new values, it
   * would read as their result (the withdrawals list below keeps it).
   */
  const onEdit = (event: InputEvent) => {
    clearMessages(event);
    setDone(undefined);
  };

  /** "Max": an edit of the amount, as typing it would be. */
  const fillLargest = () => {
    const most = largest();
    if (most === undefined) return;
    setAmount(most);
    setErrors((shown) => withoutField(shown, "amount"));
    setFormError(undefined);
    setDone(undefined);
  };

  const review = (event: SubmitEvent) => {
    event.preventDefault();
    if (pausedUntil()) return;
    setFormError(undefined);
    setDone(undefined);
    const found: FieldErrors = {};
    const problem = amountProblem(amount(), precision(), asset());
    if (problem) found.amount = problem;
    else if (belowMinimum()) {
      found.amount = `The amount must be more than the withdrawal fee of ${formatAmount(fee(), precision())} ${asset()}.`;
    }
    // The server would refuse it; the balance shown is kept live, so it is known here already.
    else if (overBalance()) found.amount = OVER_BALANCE;
    if (!address()) found.address = "Choose an address. Add one to your address book first.";
    if (refuseProblems(form, found, setErrors)) return;
    setErrors({});
    setStep("confirm");
    focusById("withdraw-confirm-title");
  };

  const send = async (event: SubmitEvent) => {
    event.preventDefault();
    if (busy()) return;
    const { code, missing } = readSecondFactor(event.currentTarget as HTMLFormElement, props.user);
    if (missing) {
      setErrors({ code: missing });
      focusFirstInvalid(confirmForm);
      return;
    }
    const request = { asset: asset(), amount: amount(), address: address() };
    setBusy(true);
    setErrors({});
    setFormError(undefined);
    try {
      // The key follows the request without the code: "Try again" with a fresh code is the same withdrawal.
      const answer = await api.postIdempotent<{ withdrawal: Withdrawal }>(
        "/api/wallet/withdraw",
        withSecondFactor(request, code),
        { idempotencyKey: submission.keyFor(request) },
      );
      submission.settle();
      setDone(answer.body.withdrawal);
      setReplayed(answer.replayed);
      setAmount("");
      setStep("edit");
      props.onRequested();
    } catch (error) {
      submission.failed(error);
      showRefusal(moneyProblem(error, { kind: "withdrawal", hints: HINTS }), {
        details: () => form,
        confirmation: () => confirmForm,
        setErrors,
        setFormError,
        backToDetails: () => setStep("edit"),
      });
    } finally {
      setBusy(false);
    }
  };

  /** Out of the review, back to the details (nothing is sent). */
  const backToEdit = () => {
    setFormError(undefined);
    setErrors({});
    setStep("edit");
  };

  return (
    <section class="panel" aria-labelledby="withdraw-title">
      <div class="panel-head">
        <div>
          <h2 id="withdraw-title">Withdraw</h2>
          <p class="muted small">Send funds out to an address of your address book. {reviewRule("withdrawal", reviewUsd())}</p>
        </div>
      </div>
      <Switch>
        <Match when={step() === "edit"}>
          <form ref={form} class="form" onSubmit={review} onInput={onEdit} novalidate>
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
              addon={
                <button
                  type="button"
                  class="button input-addon"
                  disabled={largest() === undefined}
                  aria-describedby="withdraw-largest"
                  onClick={fillLargest}
                >
                  Max
                </button>
              }
              hint={
                <>
                  Available:{" "}
                  <Show when={balance()} fallback={<span class="muted">…</span>}>
                    {(b) => (
                      <Amount
                        value={b().available}
                        asset={asset()}
                        precision={precision()}
                        decimals={sharedDecimals([b().available], precision())}
                      />
                    )}
                  </Show>
                  .{" "}
                  <span id="withdraw-largest">
                    <Show
                      when={largest()}
                      fallback={
                        !balance()
                          ? "Max: your balance less the fee."
                          : isZero(fee())
                            ? "Nothing to withdraw."
                            : `Too little to withdraw: the amount must be more than the fee, which is paid on top of it, so your balance must be more than ${formatAmount(twiceFee() ?? "", precision())} ${asset()} (twice the fee).`
                      }
                    >
                      {(most) => (
                        <>
                          Max: <Amount value={most()} asset={asset()} precision={precision()} /> (your balance less the fee).
                        </>
                      )}
                    </Show>
                  </span>
                </>
              }
              error={errors().amount}
            />
            <SelectField
              label="To address"
              name="address"
              error={errors().address}
              disabled={choices().length === 0}
              onChange={(event) => setAddress(event.currentTarget.value)}
              hint={
                <>
                  <Show
                    when={choices().length > 0}
                    fallback={
                      <>
                        No {asset()} address in your address book yet. <a href="#address-book-title">Add one below</a>.
                      </>
                    }
                  >
                    <Show when={usable().length === 0}>
                      Your {asset()} addresses are not usable yet (security cooldown after adding an address).{" "}
                    </Show>
                    Only addresses of your address book can be used.
                  </Show>{" "}
                  <NetworkNote asset={asset()} />
                </>
              }
            >
              <Show when={choices().length > 0} fallback={<option value="">No saved {asset()} address</option>}>
                <Show when={usable().length === 0}>
                  <option value="" selected>
                    Choose an address
                  </option>
                </Show>
                <For each={choices()}>
                  {(entry) => (
                    <option value={entry.address} disabled={!isActive(entry)} selected={entry.address === address()}>
                      {entry.label} · {entry.address}
                      {isActive(entry) ? "" : ` (usable from ${formatDateTime(entry.activeAt)})`}
                    </option>
                  )}
                </For>
              </Show>
            </SelectField>
            {/* Not a live region: it changes with every keystroke of the amount, and is read in its place after it. */}
            <div class="fee-summary">
              <p>
                Withdrawal fee: <Amount value={fee()} asset={asset()} precision={precision()} />
                {/* The rule, not the smallest amount it allows: one minor unit over the fee reads 0.001000000000000001 ETH. */}
                <Show when={minimum()}>
                  <span class="muted"> · paid on top of the amount, which must be more than the fee</span>
                </Show>
              </p>
              <p>
                You will pay amount + fee:{" "}
                <Show when={total()} fallback={<span class="muted">enter an amount</span>}>
                  {(t) => (
                    <strong>
                      <Amount value={t()} asset={asset()} precision={precision()} />
                    </strong>
                  )}
                </Show>
              </p>
              <Show when={shownValueUsd()}>{(usd) => <p>Worth about ${formatUsd(usd())} at the current price.</p>}</Show>
              {/* Once the amount has its own message (e.g. the server's), this warning would only repeat it. */}
              <Show when={overBalance() && !errors().amount}>
                <p class="warn-text small">{OVER_BALANCE}</p>
              </Show>
            </div>
            <Show when={requested()}>
              {(w) => <WithdrawalRequested withdrawal={w()} replayed={replayed()} config={props.config} />}
            </Show>
            <ReviewButton id="withdraw-review" label="Review withdrawal" pausedUntil={pausedUntil()} />
          </form>
        </Match>
        <Match when={step() === "confirm"}>
          <ConfirmStep busy={busy()} reviewId="withdraw-review" onBack={backToEdit}>
            <h3 id="withdraw-confirm-title" class="panel-title" tabindex="-1">
              Withdraw {formatAmount(amount(), precision())} {asset()} to{" "}
              <span class="break">{chosen()?.label ?? address()}</span>?
            </h3>
            <form ref={confirmForm} class="stack" onSubmit={send} onInput={clearMessagesOnEdit(setErrors)} novalidate>
              <dl class="facts">
                <div>
                  <dt>Amount</dt>
                  <dd>
                    <Amount value={amount()} asset={asset()} precision={precision()} />
                    <Show when={shownValueUsd()}>
                      {(usd) => <span class="muted small">about ${formatUsd(usd())} at the current price</span>}
                    </Show>
                  </dd>
                </div>
                <div>
                  <dt>Fee</dt>
                  <dd>
                    <Amount value={fee()} asset={asset()} precision={precision()} />
                  </dd>
                </div>
                <div>
                  <dt>Total from your balance</dt>
                  <dd>
                    <Show when={total()}>
                      {(t) => (
                        <strong>
                          <Amount value={t()} asset={asset()} precision={precision()} />
                        </strong>
                      )}
                    </Show>
                  </dd>
                </div>
                <div>
                  <dt>To</dt>
                  <dd class="break">
                    <Show when={chosen()}>{(entry) => <span>{entry().label}</span>}</Show>
                    <code class="pay-address">{address()}</code>
                  </dd>
                </div>
                <Show when={networkOf(asset())}>
                  {(network) => (
                    <div>
                      <dt>Network</dt>
                      <dd>{network()}</dd>
                    </div>
                  )}
                </Show>
              </dl>
              <Show when={networkOf(asset())}>
                {(network) => <p class="small warn-text">{networkWarning(asset(), network())}</p>}
              </Show>
              <ReviewNote kind="withdrawal" valueUsd={valueUsd()} thresholdUsd={reviewUsd()} />
              <p class="small muted">A withdrawal cannot be taken back once it is sent.</p>
              <ConfirmControls
                user={props.user}
                codeError={errors().code}
                refusal={formError()}
                busy={busy()}
                label="Confirm withdrawal"
                working="Requesting…"
                onEdit={() => {
                  backToEdit();
                  focusControl(form, "amount");
                }}
              />
            </form>
          </ConfirmStep>
        </Match>
      </Switch>
    </section>
  );
}
