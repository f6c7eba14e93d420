import { createEffect, createSignal, For, on, Show } from "solid-js";
import Alert from "../../components/Alert";
import Amount from "../../components/Amount";
import { AmountField, AssetSelectField } from "../../components/AssetFields";
import AuthCodeField from "../../components/AuthCodeField";
import { SelectField } from "../../components/Field";
import MoneyProblemAlert from "../../components/MoneyProblemAlert";
import PausedNote from "../../components/PausedNote";
import SubmitButton from "../../components/SubmitButton";
import { api } from "../../lib/api";
import type { PublicConfig } from "../../lib/config";
import { formatDateTime } from "../../lib/format";
import { clearMessagesOnEdit, type FieldErrors, focusOnShow, focusRefusal, refuseProblems } from "../../lib/forms";
import { createIdempotentSubmission, replayedNote } from "../../lib/idempotency";
import { addAmounts, amountProblem, assetInfo, lessThan, precisionOf } from "../../lib/money";
import { moneyProblem } from "../../lib/money-errors";
import { CODE_MISSING, clearSecondFactor, readSecondFactor, withSecondFactor } from "../../lib/second-factor";
import type { User } from "../../lib/session";
import { type Balance, type BookAddress, isActive, type Withdrawal } from "../../lib/wallet";
import { createWithdrawalPause } from "../../lib/withdrawal-pause";

const HINTS = {
  asset: "Choose an asset.",
  amount: "Enter a plain positive amount within the asset's decimals.",
  address: "Choose an address from your address book.",
  code: CODE_MISSING,
};

/** Withdraw to an address of the address book; amount plus the asset's fee is held at once (202). */
export default function WithdrawPanel(props: {
  config: PublicConfig;
  user: User;
  balances: Balance[] | undefined;
  addresses: BookAddress[] | undefined;
  onRequested: () => void;
}) {
  const [asset, setAsset] = createSignal(props.config.assets[0]?.symbol ?? "");
  const [amount, setAmount] = createSignal("");
  const [address, setAddress] = createSignal("");
  const [busy, setBusy] = createSignal(false);
  const [errors, setErrors] = createSignal<FieldErrors>({});
  const [formError, setFormError] = createSignal<{ text: string; code?: string }>();
  const [done, setDone] = createSignal<Withdrawal>();
  /** `done` is the first answer, replayed: that withdrawal had been requested before (idempotency.ts). */
  const [replayed, setReplayed] = createSignal(false);
  const submission = createIdempotentSubmission("withdraw");
  /** While withdrawals are paused the server refuses any (403): not worth typing an amount and spending a code. */
  const pausedUntil = createWithdrawalPause(() => props.user);
  let form: HTMLFormElement | undefined;

  const info = () => assetInfo(props.config, asset());
  const precision = () => info()?.precision;
  const fee = () => info()?.withdrawalFee ?? "0";
  const balance = () => props.balances?.find((b) => b.asset === asset());
  const choices = () => (props.addresses ?? []).filter((a) => a.asset === asset());
  const usable = () => choices().filter((a) => isActive(a));

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

  const submit = async (event: SubmitEvent) => {
    event.preventDefault();
    if (busy() || pausedUntil()) return;
    setFormError(undefined);
    setDone(undefined);
    const target = event.currentTarget as HTMLFormElement;
    const { code, missing } = readSecondFactor(target, props.user);
    const found: FieldErrors = {};
    const problem = amountProblem(amount(), precision(), asset());
    if (problem) found.amount = problem;
    if (!address()) found.address = "Choose an address. Add one to your address book first.";
    if (missing) found.code = missing;
    if (refuseProblems(form, found, setErrors)) return;
    const request = { asset: asset(), amount: amount(), address: address() };
    const body = withSecondFactor(request, code);
    setBusy(true);
    setErrors({});
    try {
      // The key follows the request without the code: a retry with a fresh code is the same withdrawal.
      const answer = await api.postIdempotent<{ withdrawal: Withdrawal }>("/api/wallet/withdraw", body, {
        idempotencyKey: submission.keyFor(request),
      });
      submission.settle();
      setDone(answer.body.withdrawal);
      setReplayed(answer.replayed);
      setAmount("");
      clearSecondFactor(target);
      props.onRequested();
    } catch (error) {
      submission.failed(error);
      const result = moneyProblem(error, { kind: "withdrawal", hints: HINTS });
      setErrors(result.fields);
      if (result.form) setFormError({ text: result.form, code: result.code });
      focusRefusal(form);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="panel" aria-labelledby="withdraw-title">
      <div class="panel-head">
        <div>
          <h2 id="withdraw-title">Withdraw</h2>
          <p class="muted small">Send funds out to an address of your address book. Large withdrawals are reviewed first.</p>
        </div>
      </div>
      <form ref={form} class="form" onSubmit={submit} onInput={onEdit} novalidate>
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
              Available:{" "}
              <Show when={balance()} fallback={<span class="muted">…</span>}>
                {(b) => <Amount value={b().available} asset={asset()} precision={precision()} />}
              </Show>
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
            </Show>
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
        <Show when={props.user.twoFactorEnabled}>
          <AuthCodeField error={errors().code} />
        </Show>
        {/* Not a live region: it changes with every keystroke of the amount, and is read in its place after it. */}
        <div class="fee-summary">
          <p>
            Withdrawal fee: <Amount value={fee()} asset={asset()} precision={precision()} />
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
          {/* Once the amount has its own message (e.g. the server's), this warning would only repeat it. */}
          <Show when={overBalance() && !errors().amount}>
            <p class="warn-text small">This is more than your available balance.</p>
          </Show>
        </div>
        <MoneyProblemAlert problem={formError()} email={props.user.email} />
        <Show when={done()}>
          {(w) => (
            <Alert
              tone="success"
              title={
                w().status === "pending_review"
                  ? `Withdrawal ${replayed() ? "already " : ""}waiting for review`
                  : `Withdrawal ${replayed() ? "already " : ""}requested`
              }
              ref={focusOnShow}
            >
              <Show when={replayed()}>
                <p>{replayedNote("withdrawal", w().createdAt)} To withdraw the same again on purpose, enter the amount again.</p>
              </Show>
              <p>
                <Amount value={w().amount} asset={w().asset} precision={precisionOf(props.config, w().asset)} /> plus a fee of{" "}
                <Amount value={w().fee} asset={w().asset} precision={precisionOf(props.config, w().asset)} /> are held from your
                balance.{" "}
                {w().status === "pending_review"
                  ? "Large withdrawals are checked by our team before they are sent; you can cancel it until then."
                  : "It is being sent now; follow it in the list below."}
              </p>
            </Alert>
          )}
        </Show>
        <div class="button-row">
          <SubmitButton
            busy={busy()}
            busyLabel="Requesting…"
            disabled={pausedUntil() !== undefined}
            describedBy={pausedUntil() ? "withdraw-paused" : undefined}
          >
            Request withdrawal
          </SubmitButton>
          <PausedNote id="withdraw-paused" until={pausedUntil()} />
        </div>
      </form>
    </section>
  );
}
