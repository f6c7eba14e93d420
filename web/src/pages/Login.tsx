import { A, useLocation, useNavigate, useSearchParams } from "@solidjs/router";
import { createEffect, createSignal, Match, Show, Switch } from "solid-js";
import { EmailField } from "../components/AccountFields";
import Alert from "../components/Alert";
import { AuthCard } from "../components/AuthCard";
import { RecoveryToggle, SecondFactorInput } from "../components/AuthCodeField";
import { PasswordField } from "../components/Field";
import FormError from "../components/FormError";
import SubmitButton from "../components/SubmitButton";
import { ApiError, api, takeSessionEnded } from "../lib/api";
import { focusControl, focusFirstInvalid, focusNextHeading } from "../lib/focus";
import {
  actionMessage,
  clearMessagesOnEdit,
  emailProblem,
  type FieldErrors,
  fieldErrors,
  formValue,
  problemsOf,
  rateLimitMessage,
  refuseProblems,
} from "../lib/forms";
import { safeNext } from "../lib/navigation";
import { isSecondFactorFormat, TOTP_FORMAT } from "../lib/second-factor";
import { setSessionUser, signOut, type User, useOptionalSessionUser } from "../lib/session";
import { usePageTitle } from "../lib/title";

const HINTS = {
  email: "Enter the email address of your account.",
  password: "Enter your password.",
  code: "Enter the 6-digit code or a recovery code.",
};

type Credentials = { email: string; password: string };

/**
 * What /login and /register show to someone already signed in: go on as that user, or sign out first
 * (`switchLabel` says what for). Signing out shows the page's own form again.
 */
export function SignedInChoice(props: { user: User; next: string; switchLabel: string }) {
  const [signingOut, setSigningOut] = createSignal(false);
  const [failure, setFailure] = createSignal<string>();

  const switchAccount = async () => {
    setSigningOut(true);
    setFailure(undefined);
    try {
      await signOut();
    } catch (error) {
      setFailure(actionMessage(error));
    } finally {
      setSigningOut(false);
    }
  };

  return (
    <div class="stack">
      <Alert tone="info">
        You are signed in as <strong>{props.user.email}</strong>.
      </Alert>
      <div class="button-row">
        <A href={props.next} class="button button-primary">
          Continue
        </A>
        <button type="button" class="button" disabled={signingOut()} onClick={switchAccount}>
          {signingOut() ? "Signing out…" : props.switchLabel}
        </button>
      </div>
      <FormError message={failure()} />
    </div>
  );
}

export default function Login() {
  usePageTitle(() => "Sign in");
  const [params] = useSearchParams<{ next?: string }>();
  const navigate = useNavigate();
  const user = useOptionalSessionUser();
  const next = () => safeNext(params.next);
  // Sent here because the session ended elsewhere, not by a visit or sign-out of their own: say why.
  const sessionEnded = takeSessionEnded();
  // Sent here by the header's Sign out (Layout): say it worked.
  // The page may be showing already when that navigation comes (the session's end sent it here first): read as it comes.
  const location = useLocation<{ signedOut?: boolean }>();
  const [signingIn, setSigningIn] = createSignal(false);
  const signedOut = () => !signingIn() && location.state?.signedOut === true;
  // Said once: not past the user's next step, nor on a reload of the page, whose history entry forgets it once the
  // router has written the entry (what else the router keeps there stays).
  createEffect(() => {
    if (!location.state?.signedOut) return;
    setTimeout(() => {
      const { signedOut: _said, ...kept } = (window.history.state ?? {}) as Record<string, unknown>;
      window.history.replaceState(kept, "");
    });
  });

  const [step, setStep] = createSignal<"password" | "code">("password");
  const [credentials, setCredentials] = createSignal<Credentials>({ email: "", password: "" });
  const [recovery, setRecovery] = createSignal(false);
  const [submitting, setSubmitting] = createSignal(false);
  const [signedIn, setSignedIn] = createSignal(false);
  const [errors, setErrors] = createSignal<FieldErrors>({});
  const [formError, setFormError] = createSignal<string>();
  let form: HTMLFormElement | undefined;
  let title: HTMLHeadingElement | undefined;

  const backToPassword = () => {
    setStep("password");
    setErrors({});
    setFormError(undefined);
    focusControl(form, "password");
  };

  const submit = async (event: SubmitEvent) => {
    event.preventDefault();
    if (submitting()) return;
    setSigningIn(true);
    const target = event.currentTarget as HTMLFormElement;
    let body: Credentials & { code?: string };
    if (step() === "password") {
      body = { email: formValue(target, "email"), password: formValue(target, "password", false) };
      setCredentials(body);
    } else {
      body = { ...credentials(), code: formValue(target, "code").replace(/\s+/g, "") };
    }
    const found =
      step() === "password"
        ? problemsOf({ email: emailProblem(body.email, HINTS.email), password: body.password ? undefined : HINTS.password })
        : // Neither 6 digits nor a recovery code is said as an empty field is: sent, it would spend a wrong code.
          problemsOf({ code: body.code && isSecondFactorFormat(body.code) ? undefined : HINTS.code });
    setFormError(undefined);
    if (refuseProblems(form, found, setErrors)) return;
    setSubmitting(true);
    setErrors({});
    try {
      const { user: signedInUser } = await api.post<{ user: User }>("/api/auth/login", body);
      setSignedIn(true);
      await setSessionUser(signedInUser);
      focusNextHeading(title);
      navigate(next(), { replace: true });
    } catch (error) {
      if (!(error instanceof ApiError)) {
        setFormError(actionMessage(error));
        return;
      }
      switch (error.code) {
        case "TOTP_REQUIRED":
          if (step() === "code") setErrors({ code: "Enter the code from your authenticator app or a recovery code." });
          setStep("code");
          focusControl(form, "code");
          break;
        case "INVALID_TOTP":
          setErrors({
            code:
              recovery() || !TOTP_FORMAT.test(body.code ?? "")
                ? "That recovery code is not valid or was already used."
                : "That code is not valid. Codes change every 30 seconds and each works once.",
          });
          focusControl(form, "code");
          break;
        case "INVALID_CREDENTIALS":
          setStep("password");
          setFormError("Email or password is incorrect.");
          focusControl(form, "password");
          break;
        case "RATE_LIMITED":
          setFormError(rateLimitMessage(error, "Too many sign-in attempts."));
          break;
        case "VALIDATION_FAILED": {
          const fields = fieldErrors(error, HINTS);
          if (step() === "code" && (fields.email || fields.password)) setStep("password");
          setErrors(fields);
          if (Object.keys(fields).length === 0) setFormError(error.message);
          focusFirstInvalid(form);
          break;
        }
        default:
          setFormError(actionMessage(error));
      }
    } finally {
      setSubmitting(false);
    }
  };

  return (
    <AuthCard titleId="login-title">
      <h1 id="login-title" ref={title}>
        Sign in
      </h1>
      <Show
        when={!signedIn() && user()}
        fallback={
          <form ref={form} class="form" onSubmit={submit} onInput={clearMessagesOnEdit(setErrors, setFormError)} novalidate>
            <Show when={sessionEnded}>
              <Alert tone="info">Your session ended. Sign in again to continue.</Alert>
            </Show>
            <Show when={signedOut() && !sessionEnded}>
              <Alert tone="success">You are signed out.</Alert>
            </Show>
            <Switch>
              <Match when={step() === "password"}>
                <p class="muted">Sign in to your CryptoVault account.</p>
                <EmailField value={credentials().email} error={errors().email} />
                <PasswordField
                  label="Password"
                  name="password"
                  autocomplete="current-password"
                  required
                  value={credentials().password}
                  error={errors().password}
                />
              </Match>
              <Match when={step() === "code"}>
                <p class="muted">
                  Two-factor authentication is on for <strong>{credentials().email}</strong>.{" "}
                  {recovery()
                    ? "Enter one of your recovery codes. Each works once."
                    : "Enter the 6-digit code from your authenticator app, or one of your recovery codes."}
                </p>
                <SecondFactorInput recovery={recovery()} error={errors().code} />
                <div class="link-row">
                  <RecoveryToggle
                    recovery={recovery()}
                    onToggle={() => {
                      setRecovery(!recovery());
                      setErrors({});
                      focusControl(form, "code");
                    }}
                  />
                  <button type="button" class="link-button" onClick={backToPassword}>
                    Use a different account
                  </button>
                </div>
              </Match>
            </Switch>
            <FormError message={formError()} />
            <SubmitButton block busy={submitting()} busyLabel="Signing in…">
              {step() === "code" ? "Verify and sign in" : "Sign in"}
            </SubmitButton>
            <Show when={step() === "password"}>
              <div class="link-row">
                <A href="/forgot-password">Forgot your password?</A>
                <A href="/register">Create an account</A>
              </div>
            </Show>
          </form>
        }
      >
        {(current) => <SignedInChoice user={current()} next={next()} switchLabel="Sign in as someone else" />}
      </Show>
    </AuthCard>
  );
}
