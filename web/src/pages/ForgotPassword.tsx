import { createSignal, Show } from "solid-js";
import { EmailField } from "../components/AccountFields";
import Alert from "../components/Alert";
import { AuthCard, AuthOutcome } from "../components/AuthCard";
import FormError from "../components/FormError";
import { SignInButton, SignInPrompt } from "../components/SignInLinks";
import SubmitButton from "../components/SubmitButton";
import { ApiError, api } from "../lib/api";
import { focusControl } from "../lib/focus";
import {
  actionMessage,
  clearMessagesOnEdit,
  emailProblem,
  type FieldErrors,
  fieldErrors,
  formValue,
  problemsOf,
  refuseProblems,
} from "../lib/forms";
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
    const found = problemsOf({ email: emailProblem(email, "Enter the email address of your account.") });
    setFormError(undefined);
    if (refuseProblems(form, found, setErrors)) return;
    setSubmitting(true);
    setErrors({});
    try {
      await api.post("/api/auth/password/forgot", { email });
      setSentTo(email);
    } catch (error) {
      const fields = fieldErrors(error, { email: "Enter a valid email address." });
      if (Object.keys(fields).length > 0) setErrors(fields);
      else setFormError(actionMessage(error));
      if (error instanceof ApiError && error.code === "VALIDATION_FAILED") focusControl(form, "email");
    } finally {
      setSubmitting(false);
    }
  };

  return (
    <AuthCard titleId="forgot-title">
      <Show
        when={sentTo()}
        fallback={
          <>
            <h1 id="forgot-title">Reset your password</h1>
            <form class="form" onSubmit={submit} onInput={clearMessagesOnEdit(setErrors, setFormError)} novalidate>
              <p class="muted">Enter the email of your account and we will send you a link to choose a new password.</p>
              <EmailField error={errors().email} />
              <FormError message={formError()} />
              <SubmitButton block busy={submitting()} busyLabel="Sending…">
                Send reset link
              </SubmitButton>
              <SignInPrompt>Remembered it?</SignInPrompt>
            </form>
          </>
        }
      >
        {(email) => (
          <AuthOutcome titleId="forgot-title" title="Check your email">
            <Alert tone="success">
              If an account exists for <strong>{email()}</strong>, we sent a link to reset its password. The link works for one
              hour.
            </Alert>
            <div class="button-row">
              <SignInButton>Back to sign in</SignInButton>
              <button type="button" class="button" onClick={() => setSentTo(undefined)}>
                Use another email
              </button>
            </div>
          </AuthOutcome>
        )}
      </Show>
    </AuthCard>
  );
}
