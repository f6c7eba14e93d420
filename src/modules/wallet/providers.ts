/**
 * Payment providers behind one interface each. The sandbox is the default for both: it needs no outside
 * account, hands out addresses in each asset's real format, and pays out with a made-up transaction id in
 * the form its network uses.
 */
import { randomBytes } from "node:crypto";
import { base58, bech32 } from "@scure/base";

export interface DepositProvider {
  readonly name: string;
  /** Where the user should pay for this order. */
  payAddress(asset: string, orderId: string): string;
}

export interface PayoutProvider {
  readonly name: string;
  /** Sends the funds; returns the transaction hash. Throws when the payout failed. */
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

/** A made-up id of a payout as its network writes one: Ethereum's 0x-hex, Bitcoin's bare hex, a Solana signature, a bank reference. */
function sandboxTxHash(asset: string, withdrawalId: string): string {
  switch (asset) {
    case "ETH":
    case "USDT":
      return `0x${randomBytes(32).toString("hex")}`;
    case "BTC":
      return randomBytes(32).toString("hex");
    case "SOL":
      return base58.encode(randomBytes(64));
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
