/**
 * The network each crypto asset moves on here: the one whose addresses the server accepts (API.md, address book:
 * BTC bech32 or base58check, ETH and USDT "0x" + 40 hex, SOL base58). USDT exists on many networks with look-alike
 * addresses (BNB Smart Chain's and Polygon's are 0x + 40 hex too): money sent on another one never arrives here.
 * An asset not listed (USD, or one added to the configuration later) has no network the web app knows of: none is shown.
 */
const NETWORKS: ReadonlyMap<string, string> = new Map([
  ["BTC", "Bitcoin"],
  ["ETH", "Ethereum"],
  ["USDT", "Ethereum (ERC-20)"],
  ["SOL", "Solana"],
]);

export function networkOf(asset: string): string | undefined {
  return NETWORKS.get(asset);
}

/** Said next to every pay and withdrawal address of `asset`, which moves on `network` only. */
export function networkWarning(asset: string, network: string): string {
  return `Only ${asset} on ${network}: ${asset} sent on any other network is lost.`;
}
