import { describe, expect, test } from "bun:test";
import { sha256 } from "@noble/hashes/sha2.js";
import { base58, bech32, createBase58check } from "@scure/base";
import {
  addressProblem,
  IBAN_LENGTH_BY_COUNTRY,
  isBitcoinAddress,
  isEthereumAddress,
  isIban,
  isSolanaAddress,
  isUnspendableAddress,
  isValidAddress,
  sameAddress,
} from "../src/modules/wallet/address-format";

/** Replaces the character at `index`, keeping the length: the typo a checksum exists to catch. */
function withCharAt(text: string, index: number, char: string): string {
  const at = index < 0 ? text.length + index : index;
  return text.slice(0, at) + char + text.slice(at + 1);
}

const base58check = createBase58check(sha256);

/** A correctly checksummed witness v0 address with a 20-byte program under any human-readable prefix. */
function segwitV0Address(prefix: string): string {
  return bech32.encode(prefix, [0, ...bech32.toWords(new Uint8Array(20).fill(1))]);
}

describe("BTC", () => {
  test.each([
    ["genesis P2PKH", "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"],
    ["P2SH", "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy"],
    ["BIP-173 P2WPKH", "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"],
    ["BIP-173 P2WPKH upper-case", "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4"],
    ["BIP-173 P2WSH", "bc1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qccfmv3"],
    ["BIP-350 taproot", "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0"],
  ])("accepts %s", (_, address) => {
    expect(isBitcoinAddress(address)).toBe(true);
    expect(isValidAddress("BTC", address)).toBe(true);
  });

  test.each([
    // Valid BIP-350 encodings that nothing can spend yet: refused by a custodian.
    ["BIP-350 v1 with a 40-byte program", "bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kt5nd6y"],
    ["BIP-350 v16 with a 2-byte program", "BC1SW50QGDZ25J"],
    ["BIP-350 v2 with a 16-byte program", "bc1zw508d6qejxtdg4y5r3zarvaryvaxxpcs"],
    ["BIP-350: wrong HRP", "tc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq5zuyut"],
    ["BIP-350: v1 with a bech32 checksum", "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqh2y7hd"],
    ["BIP-350: v16 with a bech32 checksum", "BC1S0XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ54WELL"],
    ["BIP-350: v0 with a bech32m checksum", "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kemeawh"],
    ["BIP-350: invalid character in the checksum", "bc1p38j9r5y49hruaue7wxjce0updqjuyyx0kh56v8s25huc6995vvpql3jow4"],
    ["BIP-350: witness version 17", "BC130XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ7ZWS8R"],
    ["BIP-350: 1-byte program", "bc1pw5dgrnzv"],
    ["BIP-350: 41-byte program", "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v8n0nx0muaewav253zgeav"],
    ["BIP-350: v0 with a 16-byte program", "BC1QR508D6QEJXTDG4Y5R3ZARVARYV98GJ9P"],
    ["BIP-350: more than 4 bits of zero padding", "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v07qwwzcrf"],
    ["BIP-350: empty data section", "bc1gmk9yu"],
    ["testnet P2WSH (valid on testnet only)", "tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7"],
    ["testnet taproot (valid on testnet only)", "tb1pqqqqp399et2xygdj5xreqhjjvcmzhxw4aywxecjdzew6hylgvsesf3hn0c"],
    ["regtest P2WPKH", segwitV0Address("bcrt")],
    ["a prefix that only begins with bc1", segwitV0Address("bc1x")],
    ["mixed-case bech32", "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kV8F3T4"],
    ["one bech32 character changed", withCharAt("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", 10, "e")],
    ["one base58 character changed", withCharAt("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", 5, "f")],
    ["base58check with its checksum changed", withCharAt("3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy", -1, "z")],
    ["testnet P2PKH, version 0x6f", base58check.encode(Uint8Array.of(0x6f, ...new Uint8Array(20).fill(1)))],
    ["testnet P2SH, version 0xc4", base58check.encode(Uint8Array.of(0xc4, ...new Uint8Array(20).fill(1)))],
    ["version 0x00 with a 19-byte hash", base58check.encode(Uint8Array.of(0x00, ...new Uint8Array(19).fill(1)))],
    ["version 0x00 with a 21-byte hash", base58check.encode(Uint8Array.of(0x00, ...new Uint8Array(21).fill(1)))],
    ["leading whitespace", " 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"],
    ["trailing whitespace", "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4 "],
    ["whitespace inside", "1A1zP1eP5QGefi2D MPTfTL5SLmv7DivfNa"],
    ["an Ethereum address", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"],
    ["empty", ""],
    ["far too long", `1${"A".repeat(10_000)}`],
  ])("refuses %s", (_, address) => {
    expect(isBitcoinAddress(address)).toBe(false);
    expect(isValidAddress("BTC", address)).toBe(false);
  });

  test("the generated programs that are refused elsewhere are accepted in their mainnet form", () => {
    expect(isBitcoinAddress(segwitV0Address("bc"))).toBe(true);
    expect(isBitcoinAddress(base58check.encode(Uint8Array.of(0x00, ...new Uint8Array(20).fill(1))))).toBe(true);
    expect(isBitcoinAddress(base58check.encode(Uint8Array.of(0x05, ...new Uint8Array(20).fill(1))))).toBe(true);
  });
});

describe("ETH and USDT", () => {
  test.each([
    ["EIP-55", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"],
    ["EIP-55", "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359"],
    ["EIP-55", "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB"],
    ["EIP-55", "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb"],
    ["all upper-case", "0x52908400098527886E0F7030069857D2E4169EE7"],
    ["all upper-case", "0x8617E340B3D01FA5F11F306F4090FD50E238070D"],
    ["all lower-case", "0xde709f2102306220921060314715629080e2fb77"],
    ["all lower-case", "0x27b1fdb04752bbc536007a920d24acb045561c26"],
    ["lower-case of an EIP-55 address", "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed"],
    ["digits only", "0x0000000000000000000000000000000000000000"],
  ])("accepts %s %s", (_, address) => {
    expect(isEthereumAddress(address)).toBe(true);
    expect(isValidAddress("ETH", address)).toBe(true);
    expect(isValidAddress("USDT", address)).toBe(true);
  });

  test.each([
    ["one letter's case flipped (bad EIP-55)", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD"],
    ["another letter's case flipped", "0x5AAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"],
    ["one hex digit changed, case kept", withCharAt("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", 5, "9")],
    ["39 hex digits", "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beae"],
    ["41 hex digits", "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed0"],
    ["no 0x", "5aaeb6053f3e94c9b9a09f33669435e7ef1beaed"],
    ["upper-case 0X", "0X5aaeb6053f3e94c9b9a09f33669435e7ef1beaed"],
    ["a non-hex letter", "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaeg"],
    ["whitespace inside", "0x5aaeb6053f3e94c9b9a09f33 669435e7ef1beaed"],
    ["trailing newline", "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed\n"],
    ["empty", ""],
  ])("refuses %s", (_, address) => {
    expect(isEthereumAddress(address)).toBe(false);
    expect(isValidAddress("ETH", address)).toBe(false);
    expect(isValidAddress("USDT", address)).toBe(false);
  });

  test("a checksum that does not match is said to be one (the shape was right); a wrong shape is said to be wrong", () => {
    const flipped = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD";
    for (const asset of ["ETH", "USDT"])
      expect(addressProblem(asset, flipped)).toContain("checksum (EIP-55) that does not match");
    expect(addressProblem("ETH", "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beae")).toBe(
      "Not a valid Ethereum address (0x and 40 hex digits)",
    );
    expect(addressProblem("ETH", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed")).toBeUndefined();
    expect(addressProblem("USD", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD")).toBe("Not a valid IBAN");
  });
});

describe("SOL", () => {
  test.each([
    ["the system program", "11111111111111111111111111111111"],
    ["a wallet", "4Nd1mBQtrMJVYVfKf2PJy9NZUZdTAsp7D4xWLs4gDB4T"],
    ["the token program", "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA"],
    ["the USDC mint", "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v"],
    ["the largest key", base58.encode(new Uint8Array(32).fill(0xff))],
  ])("accepts %s", (_, address) => {
    expect(isSolanaAddress(address)).toBe(true);
    expect(isValidAddress("SOL", address)).toBe(true);
  });

  test.each([
    ["31 bytes", base58.encode(new Uint8Array(31).fill(7))],
    ["33 bytes", base58.encode(new Uint8Array(33).fill(7))],
    ["31 zero bytes", "1".repeat(31)],
    ["33 zero bytes", "1".repeat(33)],
    ["a 0, outside the alphabet", withCharAt("4Nd1mBQtrMJVYVfKf2PJy9NZUZdTAsp7D4xWLs4gDB4T", 3, "0")],
    ["an O, outside the alphabet", withCharAt("4Nd1mBQtrMJVYVfKf2PJy9NZUZdTAsp7D4xWLs4gDB4T", 3, "O")],
    ["an I, outside the alphabet", withCharAt("4Nd1mBQtrMJVYVfKf2PJy9NZUZdTAsp7D4xWLs4gDB4T", 3, "I")],
    ["an l, outside the alphabet", withCharAt("4Nd1mBQtrMJVYVfKf2PJy9NZUZdTAsp7D4xWLs4gDB4T", 3, "l")],
    ["whitespace inside", "4Nd1mBQtrMJVYVfKf2PJy9NZ UZdTAsp7D4xWLs4gDB4T"],
    ["trailing whitespace", "4Nd1mBQtrMJVYVfKf2PJy9NZUZdTAsp7D4xWLs4gDB4T "],
    ["a Bitcoin address", "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"],
    ["empty", ""],
    ["far too long", "z".repeat(10_000)],
  ])("refuses %s", (_, address) => {
    expect(isSolanaAddress(address)).toBe(false);
    expect(isValidAddress("SOL", address)).toBe(false);
  });
});

/** The electronic-format example of every country in the SWIFT IBAN Registry, Release 100. */
// biome-ignore format: a table, four to a line
const REGISTRY_EXAMPLES = [
  "AD1200012030200359100100", "AE070331234567890123456", "AL47212110090000000235698741", "AT611904300234573201",
  "AZ21NABZ00000000137010001944", "BA391290079401028494", "BE68539007547034", "BG80BNBG96611020345678",
  "BH67BMAG00001299123456", "BI4210000100010000332045181", "BR1800360305000010009795493C1", "BY13NBRB3600900000002Z00AB00",
  "CH9300762011623852957", "CR05015202001026284066", "CY17002001280000001200527600", "CZ6508000000192000145399",
  "DE89370400440532013000", "DJ2100010000000154000100186", "DK5000400440116243", "DO28BAGR00000001212453611324",
  "EE382200221020145685", "EG380019000500000000263180002", "ES9121000418450200051332", "FI2112345600000785",
  "FK88SC123456789012", "FO6264600001631634", "FR1420041010050500013M02606", "GB29NWBK60161331926819",
  "GE29NB0000000101904917", "GI75NWBK000000007099453", "GL8964710001000206", "GR1601101250000000012300695",
  "GT82TRAJ01020000001210029690", "HN88CABF00000000000250005469", "HR1210010051863000160", "HU42117730161111101800000000",
  "IE29AIBK93115212345678", "IL620108000000099999999", "IQ98NBIQ850123456789012", "IS140159260076545510730339",
  "IT60X0542811101000000123456", "JO94CBJO0010000000000131000302", "KW81CBKU0000000000001234560101", "KZ86125KZT5004100100",
  "LB62099900000001001901229114", "LC55HEMM000100010012001200023015", "LI21088100002324013AA", "LT121000011101001000",
  "LU280019400644750000", "LV80BANK0000435195001", "LY83002048000020100120361", "MC5811222000010123456789030",
  "MD24AG000225100013104168", "ME25505000012345678951", "MK07250120000058984", "MN121234123456789123",
  "MR1300020001010000123456753", "MT84MALT011000012345MTLCAST001S", "MU17BOMM0101101030300200000MUR", "NI45BAPR00000013000003558124",
  "NL91ABNA0417164300", "NO9386011117947", "OM810180000001299123456", "PK36SCBL0000001123456702",
  "PL61109010140000071219812874", "PS92PALS000000000400123456702", "PT50000201231234567890154", "QA58DOHB00001234567890ABCDEFG",
  "RO49AAAA1B31007593840000", "RS35260005601001611379", "RU0304452522540817810538091310419", "SA0380000000608010167519",
  "SC18SSCB11010000000000001497USD", "SD2129010501234001", "SE4550000000058398257466", "SI56263300012039086",
  "SK3112000000198742637541", "SM86U0322509800000000270100", "SO211000001001000100141", "ST23000100010051845310146",
  "SV62CENR00000000000000700025", "TL380080012345678910157", "TN5910006035183598478831", "TR330006100519786457841326",
  "UA213223130000026007233566001", "VA59001123000012345678", "VG96VPVG0000012345678901", "XK051212012345678906",
  "YE15CBYE0001018861234567891234",
];

describe("USD (IBAN)", () => {
  test.each([
    ["printed with spaces", "GB82 WEST 1234 5698 7654 32"],
    ["electronic", "GB82WEST12345698765432"],
    ["lower-case", "gb82 west 1234 5698 7654 32"],
    ["irregular spacing", " DE89 3704 00440532013000  "],
    ["German", "DE89370400440532013000"],
    ["check digits 02, the smallest", "GB02WEST12345698765417"],
    ["check digits 98, the largest", "GB98WEST12345698765435"],
  ])("accepts %s: %s", (_, iban) => {
    expect(isIban(iban)).toBe(true);
    expect(isValidAddress("USD", iban)).toBe(true);
  });

  test("accepts the example of every registry country, and the table has exactly those countries", () => {
    for (const iban of REGISTRY_EXAMPLES) expect([iban, isIban(iban)]).toEqual([iban, true]);
    expect([...IBAN_LENGTH_BY_COUNTRY.keys()].sort()).toEqual(REGISTRY_EXAMPLES.map((iban) => iban.slice(0, 2)).sort());
  });

  test.each([
    ["wrong check digits", "GB83 WEST 1234 5698 7654 32"],
    ["one BBAN digit changed", "GB82 WEST 1234 5698 7654 33"],
    ["two digits swapped", "GB82 WEST 1234 5698 7654 23"],
    ["one letter changed", "GB82 WEST 1234 5698 7654 32".replace("WEST", "WESU")],
    ["one character short", "GB82 WEST 1234 5698 7654 3"],
    ["one character long", "DE89 3704 0044 0532 0130 000"],
    ["the German length under the British code", "GB89370400440532013000"],
    ["a country with no IBAN", "US64SVBKUS6S3300958879"],
    ["an unknown country", "XX82WEST12345698765432"],
    ["a territory using its parent's IBAN", "JE82WEST12345698765432"],
    ["check digits 01 that agree mod 97 with 98", "GB01WEST12345698765435"],
    ["check digits 00 that agree mod 97 with 97", "GB00WEST12345698765453"],
    ["check digits 99 that agree mod 97 with 02", "GB99WEST12345698765417"],
    ["letters as check digits", "GBAAWEST12345698765432"],
    ["a tab inside", "GB82\tWEST12345698765432"],
    ["a punctuation mark", "GB82-WEST-1234-5698-7654-32"],
    ["non-ASCII", "GB82WEST1234569876543２"],
    ["empty", ""],
    ["only spaces", "    "],
    ["far too long", `GB82WEST12345698765432${" ".repeat(10_000)}`],
  ])("refuses %s", (_, iban) => {
    expect(isIban(iban)).toBe(false);
    expect(isValidAddress("USD", iban)).toBe(false);
  });
});

describe("isValidAddress", () => {
  test.each([
    ["an unknown asset", "DOGE", "DH5yaieqoZN36fDVciNyRueRGvGLR3mr7L"],
    ["a lower-case asset code", "btc", "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"],
    ["an empty asset", "", "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"],
    ["an Object.prototype key as asset", "constructor", "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"],
    ["an Object.prototype key as asset", "__proto__", "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"],
    ["another asset's address", "ETH", "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"],
    ["another asset's address", "BTC", "GB82WEST12345698765432"],
    ["another asset's address", "USD", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"],
  ])("refuses %s (%s)", (_, asset, address) => {
    expect(isValidAddress(asset, address)).toBe(false);
  });
});

describe("sameAddress", () => {
  test.each([
    ["USD", "GB82 WEST 1234 5698 7654 32", "gb82west12345698765432", true],
    ["ETH", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed", true],
    ["USDT", " 0x5AAEB6053F3E94C9B9A09F33669435E7EF1BEAED", "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed", true],
    ["BTC", "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", "BC1QAR0SRRR7XFKVY5L643LYDNW9RE59GTZZWF5MDQ", true],
    ["BTC", "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", "1bvbmseystwetqtfn5au4m4gfg7xjanvn2", false],
    ["SOL", "4Nd1mBQtrMJVYVfKf2PJy9NZUZdTAsp7D4xWLs4gDB4T", "4nd1mbqtrmjvyvfkf2pjy9nzuzdtasp7d4xwls4gdb4t", false],
    ["ETH", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAee", false],
  ])("%s: %s and %s are the same destination: %p", (asset, a, b, same) => {
    expect(sameAddress(asset, a, b)).toBe(same);
  });
});

describe("unspendable addresses", () => {
  test.each([
    ["ETH", `0x${"0".repeat(40)}`, true],
    ["USDT", ` 0x${"0".repeat(40)}\n`, true],
    ["ETH", `0x${"0".repeat(39)}1`, false],
    ["ETH", "0x52908400098527886E0F7030069857D2E4169EE7", false],
    // 32 zero bytes in base58: the System Program, not a wallet.
    ["SOL", "1".repeat(32), true],
    ["SOL", "4Nd1mBQtrMJVYVfKf2PJy9NZUZdTAsp7D4xWLs4gDB4T", false],
    ["BTC", "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", false],
    ["USD", "GB82WEST12345698765432", false],
    ["DOGE", `0x${"0".repeat(40)}`, false],
  ])("%s %p: %p", (asset, address, unspendable) => {
    expect(isUnspendableAddress(asset, address)).toBe(unspendable);
  });

  test("the zero addresses are well-formed, so only this check keeps them out of the book", () => {
    expect([isValidAddress("ETH", `0x${"0".repeat(40)}`), isValidAddress("SOL", "1".repeat(32))]).toEqual([true, true]);
  });
});
