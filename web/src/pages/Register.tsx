import { createSignal, Show } from "solid-js";
import { EmailField, NameField, NewPasswordField } from "../components/AccountFields";
import Alert from "../components/Alert";
import { AuthCard, AuthOutcome } from "../components/AuthCard";
import FormError from "../components/FormError";
import { SignInButton, SignInPrompt } from "../components/SignInLinks";
import SubmitButton from "../components/SubmitButton";
import { ApiError, api } from "../lib/api";
import { useEmailVerificationRequired } from "../lib/config";
import { focusFirstInvalid } from "../lib/focus";
import {
  actionMessage,
  clearMessagesOnEdit,
  emailProblem,
  type FieldErrors,
  fieldErrors,
  formValue,
  newPasswordProblem,
  problemsOf,
  refuseProblems,
} from "../lib/forms";
import { type User, useOptionalSessionUser } from "../lib/session";
import { usePageTitle } from "../lib/title";
import { SignedInChoice } from "./Login";

const HINTS = {
  email: "Enter a valid email address.",
  password: "Use 8 to 128 characters that are not a common password.",
  name: "Enter your name (up to 100 characters).",
};

export default function Register() {
  usePageTitle(() => "Create an account");
  const user = useOptionalSessionUser();
  const verificationRequired = useEmailVerificationRequired();
  const [submitting, setSubmitting] = createSignal(false);
  const [errors, setErrors] = createSignal<FieldErrors>({});
  const [formError, setFormError] = createSignal<string>();
  const [registered, setRegistered] = createSignal<string>();
  const [values, setValues] = createSignal({ name: "", email: "" });
  let form: HTMLFormElement | undefined;

  const submit = async (event: SubmitEvent) => {
    event.preventDefault();
    if (submitting()) return;
    const target = event.currentTarget as HTMLFormElement;
    const body = {
      email: formValue(target, "email"),
      password: formValue(target, "password", false),
      name: formValue(target, "name"),
    };
    setValues({ name: body.name, email: body.email });
    const found = problemsOf({
      name: body.name ? undefined : HINTS.name,
      email: emailProblem(body.email, "Enter your email address."),
      password: newPasswordProblem(body.password),
    });
    setFormError(undefined);
    if (refuseProblems(form, found, setErrors)) return;
    setSubmitting(true);
    setErrors({});
    try {
      const { user } = await api.post<{ user: User }>("/api/auth/register", body);
      setRegistered(user?.email ?? body.email);
    } catch (error) {
      if (error instanceof ApiError && error.code === "EMAIL_TAKEN") {
        setErrors({ email: "An account with this email already exists. Sign in or reset your password instead." });
      } else if (error instanceof ApiError && error.code === "VALIDATION_FAILED") {
        const fields = fieldErrors(error, HINTS);
        setErrors(fields);
        if (Object.keys(fields).length === 0) setFormError(error.message);
      } else {
        setFormError(actionMessage(error));
      }
      focusFirstInvalid(form);
    } finally {
      setSubmitting(false);
    }
  };

  return (
    <AuthCard titleId="register-title">
      <Show
        when={registered()}
        fallback={
          <>
            <h1 id="register-title">Create an account</h1>
            <Show
              when={user()}
              fallback={
                <form ref={form} class="form" onSubmit={submit} onInput={clearMessagesOnEdit(setErrors, setFormError)} novalidate>
                  <NameField value={values().name} error={errors().name} />
                  <EmailField value={values().email} error={errors().email} hint="We send a link to confirm it." />
                  <NewPasswordField label="Password" name="password" error={errors().password} />
                  <FormError message={formError()} />
                  <SubmitButton block busy={submitting()} busyLabel="Creating your account…">
                    Create account
                  </SubmitButton>
                  <SignInPrompt>Already have an account?</SignInPrompt>
                </form>
              }
            >
              {(current) => <SignedInChoice user={current()} next="/dashboard" switchLabel="Sign out to create an account" />}
            </Show>
          </>
        }
      >
        {(email) => (
          <AuthOutcome titleId="register-title" title="Check your email">
            <Alert tone="success">
              We sent a verification link to <strong>{email()}</strong>. Open it to confirm your address.
            </Alert>
            <p class="muted">
              {verificationRequired()
                ? "You can sign in now and look around; moving money needs a verified email."
                : "You can sign in now."}{" "}
              The link works for 24 hours. No mail? Check your spam folder, or sign in and send a new link from the Security page.
            </p>
            <SignInButton>Sign in</SignInButton>
          </AuthOutcome>
        )}
      </Show>
    </AuthCard>
  );
}
