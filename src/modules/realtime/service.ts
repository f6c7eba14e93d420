import type { Config } from "../../config";
import { accessClaimsOf, type PresentedToken, type SessionResolver, unauthenticated } from "../../platform/http/auth";
import { allowedOrigins } from "../../platform/http/cors";
import { AppError } from "../../platform/http/errors";

/** Who a socket belongs to; anonymous sockets have none and see public topics only. */
export type SocketOwner = { userId: string; sessionId: string; expiresAt: number };

type Verify = (token: string) => Promise<false | Record<string, unknown>>;

/**
 * The upgrade's decision. No token: anonymous. A token (cookie or Bearer) must be valid and its session live,
 * else 401, never a silent downgrade. A cookie is sent by the browser on any site's behalf, so a
 * cookie-authenticated upgrade must come from our own origin (cross-site WebSocket hijacking), else 403.
 */
export async function authenticateUpgrade(
  upgrade: { presented: PresentedToken | undefined; origin: string | null },
  config: Config,
  verify: Verify,
  resolveSession: SessionResolver,
): Promise<SocketOwner | undefined> {
  const { presented, origin } = upgrade;
  if (!presented) return undefined;
  if (presented.via === "cookie") {
    if (!origin || !allowedOrigins(config).has(origin)) throw new AppError(403, "FORBIDDEN", "WebSocket origin not allowed");
  }
  const payload = await verify(presented.token);
  const claims = accessClaimsOf(payload);
  if (!payload || !claims || typeof payload.exp !== "number") throw unauthenticated("Access token is invalid or expired");
  if (!(await resolveSession(claims))) throw unauthenticated("Session has ended; sign in again");
  return { userId: claims.sub, sessionId: claims.sid, expiresAt: payload.exp * 1000 };
}

/** Whether an address holding `openFromAddress` anonymous sockets may open one more (WS_ANONYMOUS_SOCKETS_PER_ADDRESS). */
export const hasRoomForAnonymousSocket = (config: Config, openFromAddress: number) =>
  openFromAddress < config.wsAnonymousSocketsPerAddress;

/**
 * A signed-in socket ends with its access token; an anonymous one lives as long as its client keeps it, so
 * without a cap one address could hold thousands (about 10 KB each): 429 past WS_ANONYMOUS_SOCKETS_PER_ADDRESS.
 */
export function assertRoomForAnonymousSocket(config: Config, openFromAddress: number): void {
  if (!hasRoomForAnonymousSocket(config, openFromAddress))
    throw new AppError(429, "RATE_LIMITED", "Too many open WebSockets from this address; close some first", undefined, {
      // API.md: a 429 carries Retry-After. Room comes when one of the address's sockets closes.
      "retry-after": "10",
    });
}
