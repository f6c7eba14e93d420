import RequireUser from "../components/RequireUser";
import { usePageTitle } from "../lib/title";
import AuditSection from "./security/Audit";
import PasswordSection from "./security/Password";
import ProfileSection from "./security/Profile";
import SessionsSection from "./security/Sessions";
import TwoFactorSection from "./security/TwoFactor";

/** Signed-in only (RequireUser): profile, 2FA, sessions, password and the audit log. */
export default function Security() {
  usePageTitle(() => "Security");

  return (
    <RequireUser>
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
    </RequireUser>
  );
}
