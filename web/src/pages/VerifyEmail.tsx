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

/** The server's answer to a link it does not take (used, expired or unknown): it says no more than that. */
const isInvalidToken = (outcome: Outcome | undefined) =>
  !!outcome && !outcome.ok && outcome.error instanceof ApiError && outcome.error.code === "INVALID_TOKEN";

export default function VerifyEmail() {
  usePageTitle(() => "Verify your email");
  const token = useLinkToken();
  const user = useOptionalSessionUser();
  const [outcome] = createResource(token, async (value) => {
    const result = await verify(value);
    // If this browser is signed in, its user may have just become verified or, the link used before (perhaps in
    // another browser), be verified already: read again, it says which answer below fits.
    if (result.ok || isInvalidToken(result)) await reloadSessionUser();
    return result;
  });

  const invalidToken = () => isInvalidToken(outcome());

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
              {/* What a new account does next is fund itself: the dashboard, from where it deposits. */}
              <Show when={user()} fallback={<SignInButton>Sign in</SignInButton>}>
                <A href="/dashboard" class="button button-primary">
                  Go to your dashboard
                </A>
              </Show>
            </Match>
            {/* Opened again (the link works once): the signed-in user says the address is verified, so all is done. */}
            <Match when={invalidToken() && user()?.emailVerified}>
              <Alert tone="success" title="Your email is already verified" ref={focusOutcome}>
                <p>There is nothing left to do: this link is not needed any more.</p>
              </Alert>
              <A href="/dashboard" class="button button-primary">
                Go to your dashboard
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
                    {/* Signed out, the page cannot tell a link used before from a bad one: signing in tells. */}
                    Already verified it with this link? Then there is nothing left to do.{" "}
                    <A href="/login?next=/security">Sign in</A> to check, or to send yourself a new link.
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
