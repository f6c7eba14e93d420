/** TOTP (RFC 6238) and recovery codes: the pure parts, no database. */
import { generateSecret, generateURI, verify } from "otplib";
import QRCode from "qrcode";
import { sha256Hex } from "../../platform/crypto";

export const RECOVERY_CODE_COUNT = 10;
const ISSUER = "CryptoVault";

export function newTotpSecret(): string {
  return generateSecret();
}

export function otpauthUrl(secret: string, email: string): string {
  return generateURI({ issuer: ISSUER, label: email, secret });
}

export function qrSvg(url: string): Promise<string> {
  return QRCode.toString(url, { type: "svg", errorCorrectionLevel: "M", margin: 2 });
}

export const isTotpFormat = (code: string) => /^\d{6}$/.test(code);

const STEP_SECONDS = 30;
/** How far a code's step may be from this clock's: one step either way (clock drift). */
const TOLERANCE_SECONDS = 30;

/**
 * Accepts a code from the current 30-second step or its neighbours (clock drift), but only from a
 * step after `lastStep`: a code, once accepted, can never be used again. Returns the accepted step.
 * A `lastStep` at or past the newest step this clock accepts (another instance's clock ran ahead, or this one was
 * set back) leaves no code to accept until the clock catches up: a wrong code, where otplib would throw.
 */
export async function verifyTotp(
  secret: string,
  code: string,
  lastStep: number | null,
  epochSeconds = Math.floor(Date.now() / 1000),
): Promise<number | null> {
  if (!isTotpFormat(code)) return null;
  if (lastStep !== null && lastStep >= Math.floor((epochSeconds + TOLERANCE_SECONDS) / STEP_SECONDS)) return null;
  const result = await verify({
    secret,
    token: code,
    epoch: epochSeconds,
    epochTolerance: TOLERANCE_SECONDS,
    ...(lastStep === null ? {} : { afterTimeStep: lastStep }),
  });
  return result.valid && "timeStep" in result ? result.timeStep : null;
}

/** Crockford's base32 in lower case: no i, l, o or u to misread. 32 symbols, so `byte & 31` is uniform. */
const CODE_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";

/** Ten codes like "k3x9q-7mzp2": 50 random bits each, shown once, stored as SHA-256. */
export function newRecoveryCodes(): string[] {
  return Array.from({ length: RECOVERY_CODE_COUNT }, () => {
    const chars = Array.from(crypto.getRandomValues(new Uint8Array(10)), (byte) => CODE_ALPHABET[byte & 31]).join("");
    return `${chars.slice(0, 5)}-${chars.slice(5)}`;
  });
}

/** Case and the dash are not significant when a person types a recovery code. */
export function hashRecoveryCode(code: string): string {
  return sha256Hex(code.trim().toLowerCase().replace(/-/g, ""));
}
