import { A } from "@solidjs/router";
import { type Accessor, createResource, createSignal, Match, onCleanup, Show, Switch } from "solid-js";
import AccountNotices from "../components/AccountNotices";
import Alert from "../components/Alert";
import Amount from "../components/Amount";
import { AmountField, AssetSelectField } from "../components/AssetFields";
import { Field } from "../components/Field";
import Limits from "../components/Limits";
import RequireUser from "../components/RequireUser";
import { ConfirmControls, ConfirmStep, ReviewButton } from "../components/ReviewButtons";
import ReviewNote from "../components/ReviewNote";
import { api } from "../lib/api";
import { type PublicConfig, useConfig } from "../lib/config";
import { focusById, focusControl, focusFirstInvalid } from "../lib/focus";
import { clearMessagesOnEdit, type FieldErrors, looksLikeEmail } from "../lib/forms";
import { createIdempotentSubmission, replayedNote } from "../lib/idempotency";
import { withBalanceFrame } from "../lib/live-rows";
import { amountProblem, formatAmount, formatUsd, lessThan, precisionOf, sharedDecimals } from "../lib/money";
import { moneyProblem, showRefusal } from "../lib/money-errors";
import { liveUsdValue, useLivePrices } from "../lib/prices";
import { loadError, settled } from "../lib/resource";
import { CODE_MISSING, clearSecondFactor, readSecondFactor, withSecondFactor } from "../lib/second-factor";
import type { User } from "../lib/session";
import { usePageTitle } from "../lib/title";
import { fetchBalances, fetchLimits, type Transfer } from "../lib/wallet";
import { createWithdrawalPause } from "../lib/withdrawal-pause";
import { onFrame, onResync } from "../lib/ws";

type Draft = { recipientEmail: string; asset: string; amount: string; note: string };

const HINTS = {
  recipientEmail: "Enter the recipient's email address.",
  asset: "Choose an asset.",
  amount: "Enter a plain positive amount within the asset's decimals.",
  note: "A note is at most 280 characters, without text-direction control characters.",
  code: CODE_MISSING,
};

const OVER_BALANCE = "This is more than your available balance.";

/** The request body: the note only when there is one. */
function bodyOf(draft: Draft) {
  const { note, ...rest } = draft;
  return note ? { ...rest, note } : rest;
}

function SendForm(props: { config: PublicConfig; user: User }) {
  const [balances, balancesActions] = createResource(fetchBalances);
  const [limits, limitsActions] = createResource(fetchLimits);
  const [step, setStep] = createSignal<"edit" | "confirm" | "done">("edit");
  const [draft, setDraft] = createSignal<Draft>({
    recipientEmail: "",
    asset: props.config.assets[0]?.symbol ?? "",
    amount: "",
    note: "",
  });
  const [errors, setErrors] = createSignal<FieldErrors>({});
  const [formError, setFormError] = createSignal<{ text: string; code?: string }>();
  const [busy, setBusy] = createSignal(false);
  const [result, setResult] = createSignal<Transfer>();
  /** The result is the first answer, replayed: the transfer confirmed had gone through before (idempotency.ts). */
  const [replayed, setReplayed] = createSignal(false);
  const submission = createIdempotentSubmission("send");
  useLivePrices();
  /** While sending is paused after a security change the server refuses any transfer (403): not worth reviewing one. */
  const pausedUntil = createWithdrawalPause(() => props.user);
  let form: HTMLFormElement | undefined;
  /** The confirmation step's form: the authentication code, when 2FA is on, is asked there. */
  let confirmForm: HTMLFormElement | undefined;

  // Live (WebSocket): the available balance shown under the amount follows incoming and outgoing money.
  onCleanup(onFrame("balance", (frame) => balancesActions.mutate((shown) => withBalanceFrame(shown, frame.data))));
  onCleanup(onResync(() => void balancesActions.refetch()));

  /** The transfer's USD value at the live price, which decides whether it is held for review. */
  const valueUsd = () => liveUsdValue(props.config, draft().asset, draft().amount);
  const update = (field: keyof Draft, value: string) => setDraft({ ...draft(), [field]: value });
  const precision = () => precisionOf(props.config, draft().asset);
  const available = () => settled(balances)?.balances.find((b) => b.asset === draft().asset)?.available;
  const overBalance = () => {
    const have = available();
    const p = precision();
    if (have === undefined || p === undefined || amountProblem(draft().amount, p) !== undefined) return false;
    return lessThan(have, draft().amount, p) === true;
  };

  const review = (event: SubmitEvent) => {
    event.preventDefault();
    if (pausedUntil()) return;
    const d = draft();
    const found: FieldErrors = {};
    if (!looksLikeEmail(d.recipientEmail.trim()))
      found.recipientEmail = "Enter the recipient's email address, like bob@example.com.";
    else if (d.recipientEmail.trim().toLowerCase() === props.user.email.toLowerCase()) {
      found.recipientEmail = "This is your own email: you cannot send to yourself.";
    }
    const problem = amountProblem(d.amount, precision(), d.asset);
    if (problem) found.amount = problem;
    // The server would refuse it; the balance shown is kept live, so it is known here already.
    else if (overBalance()) found.amount = OVER_BALANCE;
    if (d.note.length > 280) found.note = HINTS.note;
    setErrors(found);
    setFormError(undefined);
    if (Object.keys(found).length > 0) {
      focusFirstInvalid(form);
      return;
    }
    setDraft({ ...d, recipientEmail: d.recipientEmail.trim(), note: d.note.trim() });
    setStep("confirm");
    focusById("send-confirm-title");
  };

  const send = async (event: SubmitEvent) => {
    event.preventDefault();
    if (busy()) return;
    const target = event.currentTarget as HTMLFormElement;
    const { code, missing } = readSecondFactor(target, props.user);
    if (missing) {
      setErrors({ code: missing });
      focusFirstInvalid(confirmForm);
      return;
    }
    const request = bodyOf(draft());
    setBusy(true);
    setErrors({});
    setFormError(undefined);
    try {
      // The key follows the request without the code: "Try again" with a fresh code is the same transfer.
      const answer = await api.postIdempotent<{ transfer: Transfer }>("/api/transfers/p2p", withSecondFactor(request, code), {
        idempotencyKey: submission.keyFor(request),
      });
      submission.settle();
      clearSecondFactor(target);
      setResult(answer.body.transfer);
      setReplayed(answer.replayed);
      setStep("done");
      focusById("send-result-title");
      void balancesActions.refetch();
      void limitsActions.refetch();
    } catch (error) {
      submission.failed(error);
      showRefusal(moneyProblem(error, { kind: "transfer", hints: HINTS }), {
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

  /** Out of the confirmation, back to the details (the request is not sent). */
  const backToEdit = () => {
    setFormError(undefined);
    setStep("edit");
  };

  const again = () => {
    setDraft({ ...draft(), recipientEmail: "", amount: "", note: "" });
    setResult(undefined);
    setErrors({});
    setStep("edit");
  };

  return (
    <div class="panel-grid send-grid">
      <section class="panel" aria-labelledby="send-form-title">
        <Switch>
          <Match when={step() === "edit"}>
            <h2 id="send-form-title" class="panel-title">
              Transfer details
            </h2>
            <form ref={form} class="form" onSubmit={review} onInput={clearMessagesOnEdit(setErrors)} novalidate>
              <Field
                label="Recipient's email"
                name="recipientEmail"
                type="email"
                inputmode="email"
                autocomplete="email"
                spellcheck={false}
                autocapitalize="off"
                required
                maxLength={254}
                value={draft().recipientEmail}
                onInput={(event) => update("recipientEmail", event.currentTarget.value)}
                hint="They need a CryptoVault account with this email."
                error={errors().recipientEmail}
              />
              <AssetSelectField
                assets={props.config.assets}
                selected={draft().asset}
                error={errors().asset}
                onSelect={(symbol) => {
                  update("asset", symbol);
                  setErrors({ ...errors(), amount: "" });
                }}
              />
              <AmountField
                precision={precision()}
                value={draft().amount}
                onInput={(event) => update("amount", event.currentTarget.value)}
                hint={
                  <>
                    Available:{" "}
                    <Show when={available()} fallback={<span class="muted">…</span>}>
                      {(have) => (
                        <Amount
                          value={have()}
                          asset={draft().asset}
                          precision={precision()}
                          decimals={sharedDecimals([have()], precision())}
                        />
                      )}
                    </Show>
                    . Transfers between CryptoVault users are free.
                  </>
                }
                error={errors().amount || undefined}
              />
              {/* Once the amount has its own message (e.g. the server's), this warning would only repeat it. */}
              <Show when={overBalance() && !errors().amount}>
                <p class="warn-text small">{OVER_BALANCE}</p>
              </Show>
              <Field
                label="Note (optional)"
                name="note"
                type="text"
                autocomplete="off"
                maxLength={280}
                value={draft().note}
                onInput={(event) => update("note", event.currentTarget.value)}
                hint="The recipient sees it. Up to 280 characters."
                error={errors().note}
              />
              <ReviewButton id="send-review" label="Review transfer" pausedUntil={pausedUntil()} />
            </form>
          </Match>
          <Match when={step() === "confirm"}>
            <ConfirmStep busy={busy()} reviewId="send-review" onBack={backToEdit}>
              <h2 id="send-confirm-title" class="panel-title" tabindex="-1">
                Send {formatAmount(draft().amount, precision())} {draft().asset} to{" "}
                <span class="break">{draft().recipientEmail}</span>?
              </h2>
              <form ref={confirmForm} class="stack" onSubmit={send} onInput={clearMessagesOnEdit(setErrors)} novalidate>
                <dl class="facts">
                  <div>
                    <dt>Recipient</dt>
                    <dd class="break">{draft().recipientEmail}</dd>
                  </div>
                  <div>
                    <dt>Amount</dt>
                    <dd>
                      <Amount value={draft().amount} asset={draft().asset} precision={precision()} />
                      <Show when={draft().asset !== "USD" && valueUsd()}>
                        {(usd) => <span class="muted small">about ${formatUsd(usd())} at the current price</span>}
                      </Show>
                    </dd>
                  </div>
                  <div>
                    <dt>Fee</dt>
                    <dd>None</dd>
                  </div>
                  <Show when={draft().note}>
                    <div>
                      <dt>Note</dt>
                      <dd class="break">{draft().note}</dd>
                    </div>
                  </Show>
                </dl>
                <ReviewNote kind="transfer" valueUsd={valueUsd()} thresholdUsd={props.config.limits.amlReviewUsd} />
                <p class="small muted">A transfer cannot be taken back once completed.</p>
                <ConfirmControls
                  user={props.user}
                  codeError={errors().code}
                  refusal={formError()}
                  busy={busy()}
                  label="Confirm and send"
                  working="Sending…"
                  onEdit={() => {
                    backToEdit();
                    focusControl(form, "amount");
                  }}
                />
              </form>
            </ConfirmStep>
          </Match>
          <Match when={step() === "done" && result()}>
            {(transfer) => (
              <div class="stack">
                <h2 id="send-result-title" class="panel-title" tabindex="-1">
                  {transfer().status === "pending_review"
                    ? `Transfer ${replayed() ? "already " : ""}waiting for review`
                    : `Transfer ${replayed() ? "already " : ""}sent`}
                </h2>
                <Show when={replayed()}>
                  <p>{replayedNote("transfer", transfer().createdAt)} To send the same again on purpose, choose Send another.</p>
                </Show>
                <Show
                  when={transfer().status === "pending_review"}
                  fallback={
                    <Alert tone="success">
                      <p>
                        <Amount
                          value={transfer().amount}
                          asset={transfer().asset}
                          precision={precisionOf(props.config, transfer().asset)}
                        />{" "}
                        went to <strong class="break">{transfer().recipientEmail}</strong>. It is in their balance now.
                      </p>
                    </Alert>
                  }
                >
                  <Alert tone="warn">
                    <p>
                      Large transfers are reviewed by our team before they complete. The{" "}
                      <Amount
                        value={transfer().amount}
                        asset={transfer().asset}
                        precision={precisionOf(props.config, transfer().asset)}
                      />{" "}
                      for <strong class="break">{transfer().recipientEmail}</strong> is held from your balance until it is
                      approved (then it is delivered) or rejected (then it comes back to you).
                    </p>
                    <p>
                      Changed your mind? You can cancel it on the <A href="/history">History</A> page while it waits.
                    </p>
                  </Alert>
                </Show>
                <div class="button-row">
                  <button type="button" class="button button-primary" onClick={again}>
                    Send another
                  </button>
                  <A href="/history" class="button">
                    View history
                  </A>
                </div>
              </div>
            )}
          </Match>
        </Switch>
      </section>
      <section class="panel" aria-labelledby="send-limit-title">
        <h2 id="send-limit-title" class="panel-title">
          Daily transfer limit
        </h2>
        <Limits items={settled(limits)} kinds={["p2p"]} error={loadError(limits)} onRetry={() => void limitsActions.refetch()} />
      </section>
    </div>
  );
}

function SendPage(props: { user: Accessor<User> }) {
  const config = useConfig();
  return (
    <>
      <section class="hero" aria-labelledby="send-title">
        <h1 id="send-title">Send</h1>
        <p class="muted">Send funds to another CryptoVault user by email. Free and instant for most transfers.</p>
      </section>
      <AccountNotices user={props.user()} sending />
      <Show when={config()}>{(cfg) => <SendForm config={cfg()} user={props.user()} />}</Show>
    </>
  );
}

export default function Send() {
  usePageTitle(() => "Send");
  return <RequireUser>{(user) => <SendPage user={user} />}</RequireUser>;
}
