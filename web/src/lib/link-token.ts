import { useSearchParams } from "@solidjs/router";

/**
 * The `token` of a link from a mail (verify email, reset password, undo a 2FA enable), or undefined when the
 * link came without one (cut short when copied).
 */
export function useLinkToken(): () => string | undefined {
  const [params] = useSearchParams<{ token?: string }>();
  return () => (typeof params.token === "string" && params.token.trim() !== "" ? params.token.trim() : undefined);
}
