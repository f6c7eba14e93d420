/**
 * Access tokens whose signature has passed, remembered until they expire. Checking an HS256 signature
 * (jose over WebCrypto) was a tenth of the server's CPU per API request, and a client sends the same token
 * for its 15 minutes; the same bytes verify the same way under the same key, so each token is verified
 * once per verifier and afterwards only its expiry is checked. Whether its session still lives is asked on
 * every request all the same (auth.ts): this remembers signatures, never sessions.
 *
 * Only a token in the exact compact form our tokens take reaches the verifier: jose's base64url decoding
 * skips spaces and tolerates padding, so one genuine token could otherwise be sent, and remembered, in
 * endlessly many spellings (an unbounded memory cost for one user).
 */
export type TokenClaims = Record<string, unknown>;
/** A signature and expiry check (the jwt plugin's `verify`): the claims, or false for any failure. */
export type VerifyToken = (token: string) => Promise<TokenClaims | false>;

type Passed = Map<string, { claims: Readonly<TokenClaims>; validUntilMs: number }>;

/** Enough for every user active within a token's lifetime on one instance; beyond it, the oldest go first. */
export const MAX_REMEMBERED_TOKENS = 10_000;

/**
 * header.payload.signature in base64url without padding, the signature an HS256 one (32 bytes: 43 characters),
 * and no longer than a token of ours could be (they are about 250 characters).
 */
const COMPACT_HS256 = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/;
const MAX_TOKEN_LENGTH = 1024;

/** Whether `token` is written as an HS256 JWT must be, character for character. */
const isCompactHs256 = (token: string) => token.length <= MAX_TOKEN_LENGTH && COMPACT_HS256.test(token);

/** Per verifier (so per signing key): a token passed by one is never taken as passed by another. */
const passedBy = new WeakMap<VerifyToken, Passed>();

/**
 * The token's claims if `verify` passed it and it has not expired since, else `verify`'s answer now; false
 * without asking for a token not in the compact HS256 form, and false for one without a numeric `exp`: ours
 * always carry one, and a token without it would never expire, however it came to be signed.
 */
export async function verifyOnce(verify: VerifyToken, token: string, nowMs = Date.now()): Promise<TokenClaims | false> {
  if (!isCompactHs256(token)) return false;
  const passed = passedFor(verify);
  const known = passed.get(token);
  // jose refuses a token once the current whole second reaches `exp`: valid while now < exp × 1000.
  if (known && nowMs < known.validUntilMs) return known.claims;
  passed.delete(token);
  const claims = await verify(token);
  if (!claims || typeof claims.exp !== "number") return false;
  if (passed.size >= MAX_REMEMBERED_TOKENS) forgetExpired(passed, nowMs);
  // Still full of live tokens: the one remembered longest ago goes (a Map iterates in insertion order).
  if (passed.size >= MAX_REMEMBERED_TOKENS) passed.delete(passed.keys().next().value as string);
  passed.set(token, { claims: Object.freeze({ ...claims }), validUntilMs: claims.exp * 1000 });
  return claims;
}

function passedFor(verify: VerifyToken): Passed {
  let passed = passedBy.get(verify);
  if (!passed) {
    passed = new Map();
    passedBy.set(verify, passed);
  }
  return passed;
}

function forgetExpired(passed: Passed, nowMs: number): void {
  for (const [token, { validUntilMs }] of passed) if (validUntilMs <= nowMs) passed.delete(token);
}
