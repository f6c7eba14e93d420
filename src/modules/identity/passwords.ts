/**
 * Password rules (NIST 800-63B style): 8–128 characters, not one of the 10,000 most common passwords, not
 * one or two characters repeated, no composition rules. Hashing is argon2id through Bun.password, of the password in
 * Unicode's NFKC form (as NIST advises): "é" typed as one character or as "e" and an accent, as keyboards and
 * systems differ, is one password.
 */
import { readFileSync } from "node:fs";
import { validationFailed } from "../../platform/http/errors";

export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 128;
export const MIN_DIFFERENT_CHARACTERS = 3;

/** The 10,000 most common passwords (SecLists, ordered by frequency), loaded once. */
const COMMON = new Set(
  readFileSync(new URL("./data/common-passwords.txt", import.meta.url), "utf8")
    .split("\n")
    .map((line) => line.trim().toLowerCase())
    .filter(Boolean),
);

function isCommonPassword(password: string): boolean {
  return COMMON.has(password.toLowerCase());
}

/**
 * Whether the password is the account's email address or the part before its @, in any case: the first
 * guesses of anyone who knows the address (NIST 800-63B's "context-specific words").
 */
function isTheEmail(password: string, email: string): boolean {
  const typed = password.trim().toLowerCase();
  const address = email.trim().toLowerCase();
  return typed === address || typed === address.slice(0, address.lastIndexOf("@"));
}

/** A password as it is judged and hashed: in NFKC form. */
const normalized = (password: string) => password.normalize("NFKC");

/** Whether two passwords as typed are one password (NFKC: "é" composed or not, fullwidth or not). */
export const samePassword = (a: string, b: string) => normalized(a) === normalized(b);

/**
 * Throws 422 VALIDATION_FAILED naming `field` when the password breaks a rule. The account's `email`, once
 * known, is checked against too.
 */
export function assertAcceptablePassword(
  typed: string,
  { email, field = "password" }: { email?: string; field?: string } = {},
): void {
  const password = normalized(typed);
  const length = [...password].length;
  const problem =
    length < PASSWORD_MIN
      ? `must be at least ${PASSWORD_MIN} characters`
      : length > PASSWORD_MAX
        ? `must be at most ${PASSWORD_MAX} characters`
        : isCommonPassword(password)
          ? "is one of the most common passwords; choose another"
          : email !== undefined && isTheEmail(password, email)
            ? "must not be your email address or the part before its @"
            : // NIST 800-63B names repetitive passwords too: eight spaces or "abababab" are no secret.
              new Set(password).size < MIN_DIFFERENT_CHARACTERS
              ? `must use at least ${MIN_DIFFERENT_CHARACTERS} different characters`
              : undefined;
  if (problem) throw validationFailed(field, `Password ${problem}`);
}

/**
 * A password check's answer: whether it matched, and whether the stored hash should be made again now that the
 * password is at hand (made with other settings, or of the password as typed before passwords were normalized).
 */
export type PasswordCheck = { matches: boolean; rehash: boolean };

export type PasswordHasher = {
  hash(password: string): Promise<string>;
  verify(password: string, hash: string): Promise<PasswordCheck>;
  /** Spends the same work as a wrong password's verify, for unknown emails, so timing reveals nothing. */
  verifyNothing(password: string): Promise<PasswordCheck>;
};

export function createPasswordHasher(memoryKib: number): PasswordHasher {
  const options = { algorithm: "argon2id" as const, memoryCost: memoryKib, timeCost: 2 };
  const dummy = Bun.password.hash("dummy password that matches no account", options);
  // The PHC string's head (algorithm, version, memory, time) that a hash made now starts with.
  const current = `$argon2id$v=19$m=${memoryKib},t=${options.timeCost},`;
  return {
    hash: (password) => Bun.password.hash(normalized(password), options),
    async verify(password, hash) {
      if (await Bun.password.verify(normalized(password), hash)) return { matches: true, rehash: !hash.startsWith(current) };
      // A hash made before passwords were normalized holds the password as it was typed then: once it matches,
      // it is replaced by the normalized one's, so every form of the password signs in from then on.
      const asTyped = normalized(password) !== password && (await Bun.password.verify(password, hash));
      return { matches: asTyped, rehash: asTyped };
    },
    // As a wrong password's verify: twice when normalizing changed the password.
    async verifyNothing(password) {
      await Bun.password.verify(normalized(password), await dummy);
      if (normalized(password) !== password) await Bun.password.verify(password, await dummy);
      return { matches: false, rehash: false };
    },
  };
}
