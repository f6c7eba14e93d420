/**
 * Security rule (open-redirect guard): the `?next=` path to go to after signing in. Anyone can send a sign-in link
 * with any `next`, so only a path of this site is followed (no "//host", no "/\\host", no scheme): never another
 * site dressed as the sign-in's continuation. Never back to a page of the sign-in flow either.
 */
export function safeNext(next: string | string[] | undefined, fallback = "/dashboard"): string {
  const value = Array.isArray(next) ? next[0] : next;
  if (!value?.startsWith("/") || value.startsWith("//") || value.startsWith("/\\")) return fallback;
  // No control characters or whitespace either (browsers strip tabs and newlines out of URLs).
  if ([...value].some((char) => char.charCodeAt(0) < 0x20 || char === "\u007f")) return fallback;
  const path = value.split(/[?#]/)[0] ?? "";
  if (["/login", "/register", "/forgot-password", "/reset-password", "/verify-email"].includes(path)) return fallback;
  return value;
}
