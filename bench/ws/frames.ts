/** What every server sends: the price frame of API.md, four symbols every 100 ms (CryptoVault's priced assets). */
export const SYMBOLS = ["BTC", "ETH", "SOL", "USDT"];
export const TICK_MS = 100;
export const priceFrame = (symbol: string) =>
  JSON.stringify({
    type: "price",
    data: { symbol, priceUsd: "65000.00", change24h: "0.00", updatedAt: new Date().toISOString(), source: "simulated" },
  });
