/**
 * Address formats for the address book and withdrawals: a typo in an address sends money nowhere, so
 * every format with a checksum has it verified here. Format only; whether an address is sanctioned or
 * belongs to anyone is decided elsewhere.
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { base58, bech32, bech32m, createBase58check } from "@scure/base";

/**
 * Longer than any valid address or printed IBAN. Checked first so that base58's quadratic decoding
 * never sees a huge input.
 */
const MAX_ADDRESS_LENGTH = 100;

const base58check = createBase58check(sha256);

/** Legacy base58check version bytes on mainnet: pay-to-pubkey-hash (`1…`) and pay-to-script-hash (`3…`). */
const BTC_P2PKH_VERSION = 0x00;
const BTC_P2SH_VERSION = 0x05;

/** Mainnet only: a testnet (`tb`) or regtest (`bcrt`) address would lose real coins. */
const BTC_SEGWIT_PREFIX = "bc";

/**
 * BTC: a segwit address (BIP-173 bech32 for witness v0, BIP-350 bech32m for taproot v1), or a legacy
 * base58check P2PKH or P2SH address. Later witness versions (and v1 programs that are not 32 bytes) decode
 * fine but nothing can spend them yet: coins sent there could be taken by anyone or lost, so a custodian
 * refuses them.
 */
export function isBitcoinAddress(address: string): boolean {
  if (address.length > MAX_ADDRESS_LENGTH) return false;
  return address.toLowerCase().startsWith(`${BTC_SEGWIT_PREFIX}1`) ? isSegwitAddress(address) : isLegacyBitcoinAddress(address);
}

function isSegwitAddress(address: string): boolean {
  // A string valid under one checksum constant is invalid under the other, so at most one decodes.
  const asBech32 = bech32.decodeUnsafe(address);
  const decoded = asBech32 ?? bech32m.decodeUnsafe(address);
  if (!decoded || decoded.prefix !== BTC_SEGWIT_PREFIX || decoded.words.length === 0) return false;
  const [version, ...programWords] = decoded.words;
  if (version > 16) return false;
  // BIP-350: v0 keeps the bech32 checksum, every later version must use bech32m.
  if ((version === 0) !== Boolean(asBech32)) return false;
  // Refuses leftover bits that are not zero padding, as BIP-173 requires.
  const program = bech32.fromWordsUnsafe(programWords);
  if (!program || program.length < 2 || program.length > 40) return false;
  // v0: a 20-byte key hash (P2WPKH) or a 32-byte script hash (P2WSH); v1: a 32-byte taproot key.
  if (version === 0) return program.length === 20 || program.length === 32;
  return version === 1 && program.length === 32;
}

function isLegacyBitcoinAddress(address: string): boolean {
  let payload: Uint8Array;
  try {
    // Verifies the 4-byte double-SHA-256 checksum and strips it.
    payload = base58check.decode(address);
  } catch {
    return false;
  }
  // A version byte and a 20-byte hash.
  return payload.length === 21 && (payload[0] === BTC_P2PKH_VERSION || payload[0] === BTC_P2SH_VERSION);
}

const ETHEREUM_ADDRESS = /^0x[0-9a-fA-F]{40}$/;

/**
 * ETH, and USDT as an ERC-20 token: `0x` and 40 hex digits. Single-case hex carries no checksum and is
 * taken as is; mixed case is an EIP-55 checksum and must match, so a mistyped letter is caught.
 */
export function isEthereumAddress(address: string): boolean {
  if (!ETHEREUM_ADDRESS.test(address)) return false;
  const hex = address.slice(2);
  if (hex === hex.toLowerCase() || hex === hex.toUpperCase()) return true;
  const hash = keccak_256(new TextEncoder().encode(hex.toLowerCase()));
  for (let i = 0; i < hex.length; i++) {
    // EIP-55: a letter is upper-case exactly when the matching nibble of the hash is 8 or more.
    const nibble = (hash[i >> 1] >> (i % 2 === 0 ? 4 : 0)) & 0x0f;
    const char = hex[i];
    if (char.toLowerCase() !== char.toUpperCase() && (char === char.toUpperCase()) !== nibble >= 8) return false;
  }
  return true;
}

/** 32 bytes in base58 are 32 to 44 characters; the class is the Bitcoin alphabet (no 0, O, I, l). */
const SOLANA_ADDRESS = /^[1-9A-HJ-NP-Za-km-z]{32,44}$/;

/** SOL: a 32-byte public key in base58. Solana addresses have no checksum, so this is all that can be checked. */
export function isSolanaAddress(address: string): boolean {
  return SOLANA_ADDRESS.test(address) && base58.decode(address).length === 32;
}

/**
 * IBAN length by country code, from the SWIFT IBAN Registry, Release 100 (January 2025). Territories that
 * use another country's IBAN (Åland: FI; French overseas: FR; Jersey, Guernsey, Isle of Man: GB) have
 * no code of their own here, as in the registry.
 */
// biome-ignore format: a table, kept compact like the registry it is copied from
export const IBAN_LENGTH_BY_COUNTRY: ReadonlyMap<string, number> = new Map(
  Object.entries({
    AD: 24, AE: 23, AL: 28, AT: 20, AZ: 28, BA: 20, BE: 16, BG: 22, BH: 22, BI: 27, BR: 29, BY: 28,
    CH: 21, CR: 22, CY: 28, CZ: 24, DE: 22, DJ: 27, DK: 18, DO: 28, EE: 20, EG: 29, ES: 24, FI: 18,
    FK: 18, FO: 18, FR: 27, GB: 22, GE: 22, GI: 23, GL: 18, GR: 27, GT: 28, HN: 28, HR: 21, HU: 28,
    IE: 22, IL: 23, IQ: 23, IS: 26, IT: 27, JO: 30, KW: 30, KZ: 20, LB: 28, LC: 32, LI: 21, LT: 20,
    LU: 20, LV: 21, LY: 25, MC: 27, MD: 24, ME: 22, MK: 19, MN: 20, MR: 27, MT: 31, MU: 30, NI: 28,
    NL: 18, NO: 15, OM: 23, PK: 24, PL: 28, PS: 29, PT: 25, QA: 29, RO: 24, RS: 22, RU: 33, SA: 24,
    SC: 31, SD: 18, SE: 24, SI: 19, SK: 24, SM: 27, SO: 23, ST: 25, SV: 28, TL: 23, TN: 24, TR: 26,
    UA: 29, VA: 22, VG: 24, XK: 20, YE: 30,
  }),
);

const IBAN = /^([A-Z]{2})(\d{2})[A-Z0-9]+$/;

/**
 * USD payouts: an IBAN (ISO 13616) as typed or printed: spaces are ignored and letters may be lower-case.
 * The country fixes the length and the check digits must make the whole mod 97 equal 1 (ISO 7064).
 * The per-country BBAN layout is not checked; the check digits already catch typos.
 */
export function isIban(address: string): boolean {
  if (address.length > MAX_ADDRESS_LENGTH) return false;
  const iban = address.replaceAll(" ", "").toUpperCase();
  const match = IBAN.exec(iban);
  if (!match) return false;
  const [, country, checkDigits] = match;
  if (IBAN_LENGTH_BY_COUNTRY.get(country) !== iban.length) return false;
  // 00, 01 and 99 never come out of the check digit computation, yet 01 and 98 (or 00 and 97) agree mod 97.
  if (checkDigits < "02" || checkDigits > "98") return false;
  return ibanRemainder(iban.slice(4) + iban.slice(0, 4)) === 1;
}

/**
 * The remainder mod 97 of the digits with every letter replaced by its two-digit value (A = 10 … Z = 35),
 * folded in one digit or letter at a time so the running value stays a small integer.
 */
function ibanRemainder(rearranged: string): number {
  let remainder = 0;
  for (const char of rearranged) {
    const value = Number.parseInt(char, 36);
    remainder = (remainder * (value < 10 ? 10 : 100) + value) % 97;
  }
  return remainder;
}

/**
 * One spelling per destination, so two spellings of the same address match: an IBAN without spaces in
 * upper case, hex and bech32 in lower case (their case carries no meaning, or only EIP-55's checksum).
 * Base58 is case-sensitive: two spellings that differ in case are two addresses.
 */
const upperIban = (address: string) => address.replaceAll(" ", "").toUpperCase();
const lowerHex = (address: string) => address.toLowerCase();
const bitcoinCanonical = (address: string) =>
  address.toLowerCase().startsWith(`${BTC_SEGWIT_PREFIX}1`) ? address.toLowerCase() : address;
const asTyped = (address: string) => address;

/**
 * Addresses of zero bytes, behind which no key is: what is sent there is lost for good. Ethereum's is where tokens
 * are burnt; Solana's is its System Program, not a wallet.
 */
const zeroHex = (address: string) => /^0x0{40}$/i.test(address);
const zeroBase58 = (address: string) => /^1{32}$/.test(address);

type AddressFormat = {
  check: (address: string) => boolean;
  name: string;
  canonical: (address: string) => string;
  /** Whether a well-formed address is one nobody can spend from; none is, without it. */
  unspendable?: (address: string) => boolean;
};

/** Each asset's address check, what its address is called in a message, its one spelling, and what no key spends. */
// biome-ignore format: a table, one asset a line
const FORMAT_BY_ASSET: ReadonlyMap<string, AddressFormat> = new Map([
  ["BTC", { check: isBitcoinAddress, name: "Bitcoin address (bech32 or base58check)", canonical: bitcoinCanonical }],
  ["ETH", { check: isEthereumAddress, name: "Ethereum address (0x and 40 hex digits)", canonical: lowerHex, unspendable: zeroHex }],
  ["USDT", { check: isEthereumAddress, name: "USDT address (an Ethereum address: 0x and 40 hex digits)", canonical: lowerHex, unspendable: zeroHex }],
  ["SOL", { check: isSolanaAddress, name: "Solana address (base58 of 32 bytes)", canonical: asTyped, unspendable: zeroBase58 }],
  ["USD", { check: isIban, name: "IBAN", canonical: upperIban }],
]);

/** Whether two spellings of `asset` addresses name the same destination (surrounding whitespace aside). */
export function sameAddress(asset: string, a: string, b: string): boolean {
  const canonical = FORMAT_BY_ASSET.get(asset)?.canonical ?? asTyped;
  return canonical(a.trim()) === canonical(b.trim());
}

/** Whether `address` of `asset` is one no key spends from (its zero address), so a withdrawal there would be lost. */
export function isUnspendableAddress(asset: string, address: string): boolean {
  return FORMAT_BY_ASSET.get(asset)?.unspendable?.(address.trim()) ?? false;
}

/** Whether `address` is well-formed for `asset`. An asset without a known format has no valid address. */
export function isValidAddress(asset: string, address: string): boolean {
  return FORMAT_BY_ASSET.get(asset)?.check(address) ?? false;
}

/** What an address of `asset` is, for "Not a valid …". */
const addressFormatName = (asset: string) => FORMAT_BY_ASSET.get(asset)?.name ?? `${asset} address`;

/**
 * Why `address` is no address of `asset`, said so the user can fix it; undefined when it is one. An Ethereum address
 * of the right shape fails only on its EIP-55 checksum: "0x and 40 hex digits" is then what the user did type, and
 * would not tell them that a character was mistyped.
 */
export function addressProblem(asset: string, address: string): string | undefined {
  if (isValidAddress(asset, address)) return undefined;
  if (FORMAT_BY_ASSET.get(asset)?.check === isEthereumAddress && ETHEREUM_ADDRESS.test(address))
    return `Not a valid ${addressFormatName(asset)}: its mix of capital and small letters is a checksum (EIP-55) that does not match, so a character was probably mistyped; copy the address again from where it came from`;
  return `Not a valid ${addressFormatName(asset)}`;
}
