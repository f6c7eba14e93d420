/**
 * Payment providers behind one interface each, and `providersFor`, which picks them by DEPOSIT_PROVIDER. The
 * sandbox is the default for both: it needs no outside account, hands out addresses in each asset's real
 * format, and pays out with a made-up transaction id in the form its network uses.
 */
import { createHash, randomBytes } from "node:crypto";
import { base58, bech32 } from "@scure/base";
import type { Config } from "../../config";

export interface DepositProvider {
  readonly name: string;
  /** Where the user should pay for this order. */
  payAddress(asset: string, orderId: string): string;
}

/**
 * A payout the provider declined for good: nothing was sent, so the withdrawal fails and its funds return.
 * Any other error from `send` leaves the outcome unknown (a timeout may follow a payout that went out).
 */
export class PayoutRefused extends Error {}

export interface PayoutProvider {
  readonly name: string;
  /**
   * Sends the funds; returns the transaction id. Idempotent per `withdrawalId`: asked again for a withdrawal
   * it has paid (after a timeout or a crash lost the answer), it pays nothing more and returns the same id.
   * Throws PayoutRefused when nothing was sent and nothing will be.
   */
  send(payout: { withdrawalId: string; asset: string; amount: string; address: string }): Promise<{ txHash: string }>;
}

export const sandboxDepositProvider: DepositProvider = {
  name: "sandbox",
  payAddress(asset, orderId) {
    switch (asset) {
      case "BTC":
        return bech32.encode("bc", [0, ...bech32.toWords(randomBytes(20))]);
      case "ETH":
      case "USDT":
        return `0x${randomBytes(20).toString("hex")}`;
      case "SOL":
        return base58.encode(randomBytes(32));
      default:
        // USD arrives by card or bank transfer: the "address" is the payment reference to quote.
        return `SANDBOX-${asset}-${orderId.slice(0, 8).toUpperCase()}`;
    }
  },
};

/**
 * A made-up id of a payout as its network writes one: Ethereum's 0x-hex, Bitcoin's bare hex, a Solana
 * signature, a bank reference. Derived from the withdrawal id, so asking twice gives the same id, as a real
 * provider's idempotent payout does.
 */
function sandboxTxHash(asset: string, withdrawalId: string): string {
  const digest = (algorithm: "sha256" | "sha512") => createHash(algorithm).update(`sandbox-payout:${withdrawalId}`).digest();
  switch (asset) {
    case "ETH":
    case "USDT":
      return `0x${digest("sha256").toString("hex")}`;
    case "BTC":
      return digest("sha256").toString("hex");
    case "SOL":
      return base58.encode(digest("sha512"));
    default:
      return `SANDBOX-PAYOUT-${withdrawalId.slice(0, 8).toUpperCase()}`;
  }
}

export const sandboxPayoutProvider: PayoutProvider = {
  name: "sandbox",
  async send({ asset, withdrawalId }) {
    return { txHash: sandboxTxHash(asset, withdrawalId) };
  },
};

/** A payment provider as DEPOSIT_PROVIDER names it: the same one takes deposits and sends payouts. */
export type PaymentProviders = { deposit: DepositProvider; payout: PayoutProvider };

/** Each DEPOSIT_PROVIDER value's providers: adding a provider is one entry here (and its name in config.ts). */
const PAYMENT_PROVIDERS: Record<Config["depositProvider"], PaymentProviders> = {
  sandbox: { deposit: sandboxDepositProvider, payout: sandboxPayoutProvider },
};

/** The deposit and payout providers the configuration picks. */
export const providersFor = (config: Pick<Config, "depositProvider">): PaymentProviders =>
  PAYMENT_PROVIDERS[config.depositProvider];
