import { A, useSearchParams } from "@solidjs/router";
import { createSignal, Match, Show, Switch } from "solid-js";
import Alert from "../components/Alert";
import { PasswordField } from "../components/Field";
import { ApiError, api } from "../lib/api";
import { actionMessage, type FieldErrors, fieldErrors, formValue } from "../lib/forms";
import { setSessionUser } from "../lib/session";
import { usePageTitle } from "../lib/title";

export default function ResetPassword() {
  usePageTitle(() => "Choose a new password");
  const [params] = useSearchParams<{ token?: string }>();
  const token = () => (typeof params.token === "string" && params.token.trim() !== "" ? params.token.trim() : undefined);
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
    setSubmitting(true);
    setErrors({});
    setFormError(undefined);
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
        queueMicrotask(() => form?.querySelector<HTMLElement>("[name=password]")?.focus());
      } else {
        setFormError(actionMessage(error));
      }
    } finally {
      setSubmitting(false);
    }
  };

  return (
    <section class="auth-page" aria-labelledby="reset-title">
      <div class="panel auth-card">
        <Switch>
          <Match when={done()}>
            <div class="stack">
              <h1 id="reset-title" tabindex="-1" ref={(el) => queueMicrotask(() => el.focus())}>
                Password changed
              </h1>
              <Alert tone="success">
                Your password was changed and every session was signed out. Sign in again with the new password.
              </Alert>
              <p class="muted small">For your safety, withdrawals are locked for 24 hours after a password reset.</p>
              <A href="/login" class="button button-primary">
                Sign in
              </A>
            </div>
          </Match>
          <Match when={!token() || badToken()}>
            <div class="stack">
              <h1 id="reset-title">Choose a new password</h1>
              <Alert tone="error" title={token() ? "This link is invalid or has expired" : "This link is incomplete"}>
                <p>
                  {token()
                    ? "Reset links work once and for one hour. Ask for a new one."
                    : "The reset link has no token. Open the link from the email again, or ask for a new one."}
                </p>
              </Alert>
              <A href="/forgot-password" class="button button-primary">
                Send a new reset link
              </A>
            </div>
          </Match>
          <Match when={true}>
            <h1 id="reset-title">Choose a new password</h1>
            <form ref={form} class="form" onSubmit={submit}>
              <p class="muted">Every session of your account will be signed out, and withdrawals locked for 24 hours.</p>
              <PasswordField
                label="New password"
                name="password"
                autocomplete="new-password"
                required
                minLength={8}
                maxLength={128}
                error={errors().password}
                hint="8 to 128 characters. Common passwords are refused."
              />
              <Show when={formError()}>{(message) => <Alert tone="error">{message()}</Alert>}</Show>
              <button type="submit" class="button button-primary button-block" disabled={submitting()} aria-busy={submitting()}>
                {submitting() ? "Saving…" : "Change password"}
              </button>
            </form>
          </Match>
        </Switch>
      </div>
    </section>
  );
}
