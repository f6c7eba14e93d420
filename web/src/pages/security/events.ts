import { createSignal } from "solid-js";

/**
 * Bumped after every security change made on the Security page (2FA, password, sessions), so the sections
 * that show its effects (sessions, audit log) load again.
 */
const [securityVersion, setSecurityVersion] = createSignal(0);

export { securityVersion };

export function securityChanged() {
  setSecurityVersion((v) => v + 1);
}
