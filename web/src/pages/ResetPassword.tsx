import { A } from "@solidjs/router";
import { createSignal, Match, Switch } from "solid-js";
import { NewPasswordField } from "../components/AccountFields";
import Alert from "../components/Alert";
import { AuthCard, AuthOutcome } from "../components/AuthCard";
import BadLinkAlert from "../components/BadLinkAlert";
import FormError from "../components/FormError";
import { SignInButton } from "../components/SignInLinks";
import SubmitButton from "../components/SubmitButton";
import { ApiError, api } from "../lib/api";
import { focusControl } from "../lib/focus";
import {
  actionMessage,
  clearMessagesOnEdit,
  type FieldErrors,
  fieldErrors,
  formValue,
  newPasswordProblem,
  problemsOf,
  refuseProblems,
} from "../lib/forms";
import { useLinkToken } from "../lib/link-token";
import { setSessionUser } from "../lib/session";
import { usePageTitle } from "../lib/title";
import { pauseAfterChange } from "../lib/withdrawal-pause";

export default function ResetPassword() {
  usePageTitle(() => "Choose a new password");
  const token = useLinkToken();
  const [submitting, setSubmitting] = createSignal(false);
  const [errors, setErrors] = createSignal<FieldErrors>({});
  const [formError, setFormError] = createSignal<string>();
  const [badToken, setBadToken] = createSignal(false);
  const [done, setDone] = createSignal(false);
  let form: HTMLFormElement | undefined;

  const submit = async (event: SubmitEvent) => {
    event.preventDefault();
    const value = token();
    if (submitting() || !value) return;
    const password = formValue(event.currentTarget as HTMLFormElement, "password", false);
    setFormError(undefined);
    if (refuseProblems(form, problemsOf({ password: newPasswordProblem(password) }), setErrors)) return;
    setSubmitting(true);
    setErrors({});
    try {
      await api.post("/api/auth/password/reset", { token: value, password });
      setDone(true);
      // The reset signed out every session, this browser's included.
      await setSessionUser(null);
    } catch (error) {
      if (error instanceof ApiError && error.code === "INVALID_TOKEN") {
        setBadToken(true);
        return;
      }
      const fields = fieldErrors(error, { password: "Use 8 to 128 characters that are not a common password." });
      if (fields.token) {
        setBadToken(true);
      } else if (Object.keys(fields).length > 0) {
        setErrors(fields);
        focusControl(form, "password");
      } else {
        setFormError(actionMessage(error));
      }
    } finally {
      setSubmitting(false);
    }
  };

  return (
    <AuthCard titleId="reset-title">
      <Switch>
        <Match when={done()}>
          <AuthOutcome titleId="reset-title" title="Password changed">
            <Alert tone="success">
              Your password was changed and every session was signed out. Sign in again with the new password.
            </Alert>
            {/* Signed out by the reset, the user cannot be read for the pause's end. */}
            <p class="muted small">{pauseAfterChange(null)}</p>
            <SignInButton>Sign in</SignInButton>
          </AuthOutcome>
        </Match>
        <Match when={!token() || badToken()}>
          <div class="stack">
            <h1 id="reset-title">Choose a new password</h1>
            <BadLinkAlert
              hasToken={token() !== undefined}
              refused={badToken()}
              expired="Reset links work once and for one hour. Ask for a new one."
              missing="The reset link has no token. Open the link from the email again, or ask for a new one."
            />
            <A href="/forgot-password" class="button button-primary">
              Send a new reset link
            </A>
          </div>
        </Match>
        <Match when={true}>
          <h1 id="reset-title">Choose a new password</h1>
          <form ref={form} class="form" onSubmit={submit} onInput={clearMessagesOnEdit(setErrors, setFormError)} novalidate>
            <p class="muted">
              Every session of your account will be signed out, and withdrawals and transfers paused for a while.
            </p>
            <NewPasswordField label="New password" name="password" error={errors().password} />
            <FormError message={formError()} />
            <SubmitButton block busy={submitting()} busyLabel="Saving…">
              Change password
            </SubmitButton>
          </form>
        </Match>
      </Switch>
    </AuthCard>
  );
}
