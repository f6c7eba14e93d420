import { A } from "@solidjs/router";
import { createResource, Match, Show, Suspense, Switch } from "solid-js";
import Alert from "../components/Alert";
import { AuthCard } from "../components/AuthCard";
import Loading from "../components/Loading";
import ResendVerification from "../components/ResendVerification";
import { SignInButton } from "../components/SignInLinks";
import { ApiError, api } from "../lib/api";
import { focusIfLost } from "../lib/focus";
import { actionMessage } from "../lib/forms";
import { useLinkToken } from "../lib/link-token";
import { reloadSessionUser, type User, useOptionalSessionUser } from "../lib/session";
import { usePageTitle } from "../lib/title";

type Outcome = { ok: true; user: User } | { ok: false; error: unknown };

/** Tokens are single use: each one is sent once per page load, even if the component renders again. */
const attempts = new Map<string, Promise<Outcome>>();

function verify(token: string): Promise<Outcome> {
  let outcome = attempts.get(token);
  if (!outcome) {
    outcome = api.post<{ user: User }>("/api/auth/verify-email", { token }).then(
      ({ user }) => ({ ok: true as const, user }),
      (error: unknown) => ({ ok: false as const, error }),
    );
    attempts.set(token, outcome);
  }
  return outcome;
}

export default function VerifyEmail() {
  usePageTitle(() => "Verify your email");
  const token = useLinkToken();
  const user = useOptionalSessionUser();
  const [outcome] = createResource(token, async (value) => {
    const result = await verify(value);
    // If this browser is signed in, its user may have just become verified.
    if (result.ok) void reloadSessionUser();
    return result;
  });

  const invalidToken = () => {
    const o = outcome();
    return !!o && !o.ok && o.error instanceof ApiError && o.error.code === "INVALID_TOKEN";
  };

  // Opening the link is the request: its outcome takes focus, as a form's result does (unless the user put it
  // somewhere while it was verified).
  const focusOutcome = focusIfLost();

  return (
    <AuthCard titleId="verify-title" stack>
      <h1 id="verify-title">Verify your email</h1>
      <Show
        when={token()}
        fallback={
          <Alert tone="error" title="This link is incomplete" ref={focusOutcome}>
            <p>The verification link has no token. Open the link from the email again, or copy the whole address.</p>
          </Alert>
        }
      >
        <Suspense fallback={<Loading label="Verifying your email…" />}>
          <Switch>
            <Match when={outcome()?.ok}>
              <Alert tone="success" title="Your email is verified" ref={focusOutcome}>
                <p>Thank you. Your account can now deposit, send and withdraw.</p>
              </Alert>
              <Show when={user()} fallback={<SignInButton>Sign in</SignInButton>}>
                <A href="/security" class="button button-primary">
                  Go to your security settings
                </A>
              </Show>
            </Match>
            <Match when={invalidToken() && user()?.emailVerified}>
              <Alert tone="info" title="Your email is already verified" ref={focusOutcome}>
                <p>This link was already used or has expired, but there is nothing left to do.</p>
              </Alert>
              <A href="/security" class="button button-primary">
                Go to your security settings
              </A>
            </Match>
            <Match when={invalidToken()}>
              <Alert tone="error" title="This link is invalid or has expired" ref={focusOutcome}>
                <p>Verification links work once and for 24 hours.</p>
              </Alert>
              <Show
                when={user()}
                fallback={
                  <p>
                    <A href="/login?next=/security">Sign in</A> to send yourself a new link.
                  </p>
                }
              >
                {(current) => <ResendVerification email={current().email} />}
              </Show>
            </Match>
            <Match when={outcome() && !outcome()?.ok}>
              <Alert tone="error" title="We could not verify your email" ref={focusOutcome}>
                <p>{actionMessage((outcome() as { error: unknown }).error)}</p>
              </Alert>
              <div>
                <button type="button" class="button" onClick={() => window.location.reload()}>
                  Try again
                </button>
              </div>
            </Match>
          </Switch>
        </Suspense>
      </Show>
    </AuthCard>
  );
}
