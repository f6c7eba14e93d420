import { A } from "@solidjs/router";
import { createSignal, Match, Switch } from "solid-js";
import Alert from "../components/Alert";
import { AuthCard, AuthOutcome } from "../components/AuthCard";
import BadLinkAlert from "../components/BadLinkAlert";
import FormError from "../components/FormError";
import { SignInButton } from "../components/SignInLinks";
import SubmitButton from "../components/SubmitButton";
import { ApiError, api } from "../lib/api";
import { actionMessage } from "../lib/forms";
import { useLinkToken } from "../lib/link-token";
import { setSessionUser } from "../lib/session";
import { usePageTitle } from "../lib/title";
import { pauseAfterChange } from "../lib/withdrawal-pause";

/**
 * The link of the mail that announces a 2FA enable, for an owner who did not turn it on. It acts only on a
 * click: mail scanners open links, and opening one must not change the account.
 */
export default function UndoTwoFactor() {
  usePageTitle(() => "Turn two-factor authentication off");
  const token = useLinkToken();
  const [submitting, setSubmitting] = createSignal(false);
  const [formError, setFormError] = createSignal<string>();
  const [badToken, setBadToken] = createSignal(false);
  const [done, setDone] = createSignal(false);

  const submit = async (event: SubmitEvent) => {
    event.preventDefault();
    const value = token();
    if (submitting() || !value) return;
    setSubmitting(true);
    setFormError(undefined);
    try {
      await api.post("/api/auth/2fa/undo", { token: value });
      setDone(true);
      // Every session ended, this browser's included.
      await setSessionUser(null);
    } catch (error) {
      if (error instanceof ApiError && (error.code === "INVALID_TOKEN" || error.code === "VALIDATION_FAILED")) {
        setBadToken(true);
      } else {
        setFormError(actionMessage(error));
      }
    } finally {
      setSubmitting(false);
    }
  };

  return (
    <AuthCard titleId="undo-2fa-title">
      <Switch>
        <Match when={done()}>
          <AuthOutcome titleId="undo-2fa-title" title="Two-factor authentication is off">
            <Alert tone="success">
              Every session was signed out, the one that turned it on too. Sign in with your password, reset it if someone else
              may know it, then turn two-factor authentication on again from your security settings.
            </Alert>
            <p class="muted small">{pauseAfterChange(null)}</p>
            <SignInButton>Sign in</SignInButton>
            <A href="/forgot-password" class="button">
              Reset your password
            </A>
          </AuthOutcome>
        </Match>
        <Match when={!token() || badToken()}>
          <div class="stack">
            <h1 id="undo-2fa-title">Turn two-factor authentication off</h1>
            <BadLinkAlert
              hasToken={token() !== undefined}
              refused={badToken()}
              expired="This link works once, for 72 hours, and only while the two-factor authentication it announced is still on."
              missing="The link has no token. Open the link from the email again, or copy the whole address."
            />
            <SignInButton>Sign in</SignInButton>
          </div>
        </Match>
        <Match when={true}>
          <h1 id="undo-2fa-title">Turn two-factor authentication off</h1>
          <form class="form" onSubmit={submit}>
            <p>
              Two-factor authentication was turned on for your account. If you did not do it, someone else is signed in as you:
              turn it off here. Every session of your account will be signed out, and withdrawals and transfers paused for a
              while.
            </p>
            <p class="muted small">If you turned it on yourself, close this page and keep your recovery codes safe.</p>
            <FormError message={formError()} />
            <SubmitButton block busy={submitting()} busyLabel="Turning it off…">
              Turn it off and sign out everywhere
            </SubmitButton>
          </form>
        </Match>
      </Switch>
    </AuthCard>
  );
}
