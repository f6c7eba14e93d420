import { A } from "@solidjs/router";
import { createSignal, Show } from "solid-js";
import Alert from "../components/Alert";
import { Field } from "../components/Field";
import { ApiError, api } from "../lib/api";
import { actionMessage, type FieldErrors, fieldErrors, formValue } from "../lib/forms";
import { usePageTitle } from "../lib/title";

export default function ForgotPassword() {
  usePageTitle(() => "Reset your password");
  const [submitting, setSubmitting] = createSignal(false);
  const [errors, setErrors] = createSignal<FieldErrors>({});
  const [formError, setFormError] = createSignal<string>();
  const [sentTo, setSentTo] = createSignal<string>();

  const submit = async (event: SubmitEvent) => {
    event.preventDefault();
    if (submitting()) return;
    const form = event.currentTarget as HTMLFormElement;
    const email = formValue(form, "email");
    setSubmitting(true);
    setErrors({});
    setFormError(undefined);
    try {
      await api.post("/api/auth/password/forgot", { email });
      setSentTo(email);
    } catch (error) {
      const fields = fieldErrors(error, { email: "Enter a valid email address." });
      if (Object.keys(fields).length > 0) setErrors(fields);
      else setFormError(actionMessage(error));
      if (error instanceof ApiError && error.code === "VALIDATION_FAILED") {
        queueMicrotask(() => form.querySelector<HTMLElement>("[name=email]")?.focus());
      }
    } finally {
      setSubmitting(false);
    }
  };

  return (
    <section class="auth-page" aria-labelledby="forgot-title">
      <div class="panel auth-card">
        <Show
          when={sentTo()}
          fallback={
            <>
              <h1 id="forgot-title">Reset your password</h1>
              <form class="form" onSubmit={submit}>
                <p class="muted">Enter the email of your account and we will send you a link to choose a new password.</p>
                <Field
                  label="Email"
                  name="email"
                  type="email"
                  autocomplete="email"
                  inputmode="email"
                  spellcheck={false}
                  autocapitalize="off"
                  required
                  error={errors().email}
                />
                <Show when={formError()}>{(message) => <Alert tone="error">{message()}</Alert>}</Show>
                <button type="submit" class="button button-primary button-block" disabled={submitting()} aria-busy={submitting()}>
                  {submitting() ? "Sending…" : "Send reset link"}
                </button>
                <p class="muted small center">
                  Remembered it? <A href="/login">Sign in</A>
                </p>
              </form>
            </>
          }
        >
          {(email) => (
            <div class="stack">
              <h1 id="forgot-title" tabindex="-1" ref={(el) => queueMicrotask(() => el.focus())}>
                Check your email
              </h1>
              <Alert tone="success">
                If an account exists for <strong>{email()}</strong>, we sent a link to reset its password. The link works for one
                hour.
              </Alert>
              <div class="button-row">
                <A href="/login" class="button button-primary">
                  Back to sign in
                </A>
                <button type="button" class="button" onClick={() => setSentTo(undefined)}>
                  Use another email
                </button>
              </div>
            </div>
          )}
        </Show>
      </div>
    </section>
  );
}
