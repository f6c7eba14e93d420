/** Audit events as the user's own log (GET /api/audit) and the back office's (GET /api/admin/audit) show them. */
export type AuditEvent = {
  id: string;
  action: string;
  ip: string | null;
  userAgent: string | null;
  metadata: Record<string, unknown> | null;
  createdAt: string;
};

const ACTIONS: Record<string, string> = {
  "auth.register": "Account created",
  "auth.login": "Signed in",
  "auth.login_failed": "Failed sign-in",
  "auth.logout": "Signed out",
  "auth.refresh_reused": "Stolen session token detected, session revoked",
  "auth.password_changed": "Password changed",
  "auth.password_change_failed": "Password change refused: wrong current password",
  "auth.password_reset": "Password reset",
  "auth.2fa_enabled": "Two-factor authentication turned on",
  "auth.2fa_disabled": "Two-factor authentication turned off",
  "auth.2fa_recovery_codes_regenerated": "New recovery codes created",
  "auth.email_verified": "Email verified",
  "auth.profile_updated": "Profile updated",
  "session.revoked": "Session signed out",
  "wallet.deposit_created": "Deposit started",
  "wallet.deposit_credited": "Deposit credited",
  "wallet.withdrawal_requested": "Withdrawal requested",
  "wallet.withdrawal_completed": "Withdrawal completed",
  "transfer.sent": "Transfer sent",
  "transfer.received": "Transfer received",
  "transfer.cancelled": "Held transfer cancelled",
  "trade.executed": "Trade executed",
};

/** The actions with a name of their own, for suggestions where an action is typed. */
export const KNOWN_ACTIONS = Object.keys(ACTIONS);

/** Known actions by name; others as readable words ("auth.something_new" → "Something new"). */
export function actionLabel(action: string): string {
  if (ACTIONS[action]) return ACTIONS[action];
  const [scope = "", ...rest] = action.split(".");
  const words = rest.join(" ").replaceAll("_", " ").trim();
  if (scope === "admin") return `Administrator action${words ? `: ${words}` : ""}`;
  return words ? words.charAt(0).toUpperCase() + words.slice(1) : action;
}

/** A metadata key as words: "sessionsEnded" → "sessions ended", "feeUsd" → "fee USD", "orderId" → "order ID". */
const keyWords = (key: string) =>
  key
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .toLowerCase()
    .replace(/\busd\b/g, "USD")
    .replace(/\bid\b/g, "ID");

/** `{reason: "bad_password", sessionsEnded: 2}` → "reason: bad password · sessions ended: 2". */
export function describeMetadata(metadata: AuditEvent["metadata"]): string {
  if (!metadata || typeof metadata !== "object") return "";
  return Object.entries(metadata)
    .filter(([, value]) => value !== null && value !== undefined && value !== "")
    .map(([key, value]) => {
      const text = typeof value === "object" ? JSON.stringify(value) : String(value);
      // A code in snake case reads as words; other values (an email, an address) stay exactly as they are.
      return `${keyWords(key)}: ${/^[a-z]+(_[a-z]+)+$/.test(text) ? text.replaceAll("_", " ") : text}`;
    })
    .join(" · ");
}

export function isFailure(action: string): boolean {
  return action.endsWith("_failed") || action.endsWith("_reused");
}
