import { useLocation, useNavigate } from "@solidjs/router";
import { createEffect, Show } from "solid-js";
import Loading from "../components/Loading";
import { useSessionUser } from "../lib/session";
import { usePageTitle } from "../lib/title";
import AuditSection from "./security/Audit";
import PasswordSection from "./security/Password";
import ProfileSection from "./security/Profile";
import SessionsSection from "./security/Sessions";
import TwoFactorSection from "./security/TwoFactor";

/** Signed-in only: without a session (GET /api/auth/me → 401) it sends the user to sign in and back. */
export default function Security() {
  usePageTitle(() => "Security");
  const user = useSessionUser();
  const navigate = useNavigate();
  const location = useLocation();

  createEffect(() => {
    if (user() === null) {
      navigate(`/login?next=${encodeURIComponent(location.pathname + location.search)}`, { replace: true });
    }
  });

  return (
    <Show when={user()} fallback={<Loading label="Redirecting to sign in…" />}>
      {(current) => (
        <>
          <section class="hero" aria-labelledby="security-title">
            <h1 id="security-title">Security</h1>
            <p class="muted">
              Signed in as <strong class="break">{current().email}</strong>. Manage your profile, sign-in protection and sessions,
              and review what happened on your account.
            </p>
          </section>
          <ProfileSection user={current()} />
          <TwoFactorSection user={current()} />
          <SessionsSection />
          <PasswordSection />
          <AuditSection />
        </>
      )}
    </Show>
  );
}
