import { afterAll, afterEach, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import type { ServerWebSocket } from "bun";
import { backoffMs, CoinCapProvider } from "../src/modules/market/coincap";
import type { PriceTick } from "../src/modules/market/model";
import { createLogger } from "../src/platform/observability/logger";

setDefaultTimeout(30_000);

/** CoinCap v3's REST envelope, as the real service answers (numbers as strings, some fields null). */
const ASSETS = {
  timestamp: 1_718_000_000_000,
  data: [
    { id: "bitcoin", symbol: "BTC", priceUsd: "65012.3412345678", changePercent24Hr: "-1.2345", vwap24Hr: null },
    { id: "ethereum", symbol: "ETH", priceUsd: "3201.987654", changePercent24Hr: "2.5", supply: "120000000" },
    { id: "solana", symbol: "SOL", priceUsd: null, changePercent24Hr: null },
    { id: "tether", symbol: "USDT", priceUsd: "1.00023456", changePercent24Hr: "0.01" },
    { id: "dogecoin", symbol: "DOGE", priceUsd: "0.12", changePercent24Hr: "1" },
  ],
};

/** A local stand-in for CoinCap: REST and stream on 127.0.0.1, scripted per test. */
class FakeCoinCap {
  restAnswers: (() => Response)[] = [];
  restCalls: { url: string; authorization: string | null }[] = [];
  streams = new Set<ServerWebSocket<unknown>>();
  streamUrls: string[] = [];
  acceptStreams = true;
  readonly server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: (request, server) => {
      const url = new URL(request.url);
      if (url.pathname === "/v3/assets") {
        this.restCalls.push({ url: request.url, authorization: request.headers.get("authorization") });
        return (this.restAnswers.shift() ?? (() => Response.json(ASSETS)))();
      }
      if (url.pathname === "/prices" && this.acceptStreams) {
        this.streamUrls.push(request.url);
        if (server.upgrade(request)) return undefined;
      }
      return new Response("nope", { status: 503 });
    },
    websocket: {
      open: (ws) => void this.streams.add(ws),
      close: (ws) => void this.streams.delete(ws),
      message: () => {},
    },
  });
  get rest() {
    return `http://127.0.0.1:${this.server.port}/v3`;
  }
  get ws() {
    return `ws://127.0.0.1:${this.server.port}`;
  }
  push(frame: string) {
    for (const ws of this.streams) ws.send(frame);
  }
  drop() {
    for (const ws of this.streams) ws.terminate();
  }
}

let fake: FakeCoinCap;
let provider: CoinCapProvider | undefined;
const logger = createLogger("silent");
beforeAll(() => {
  fake = new FakeCoinCap();
});
afterAll(() => fake.server.stop(true));
afterEach(async () => {
  await provider?.stop();
  provider = undefined;
  fake.restAnswers = [];
  fake.restCalls = [];
  fake.streamUrls = [];
  fake.acceptStreams = true;
  fake.drop();
});

function start(options: Partial<ConstructorParameters<typeof CoinCapProvider>[0]> = {}) {
  const batches: PriceTick[][] = [];
  provider = new CoinCapProvider({
    restUrl: fake.rest,
    wsUrl: fake.ws,
    apiKey: "test-key",
    symbols: ["BTC", "ETH", "SOL", "USDT"],
    logger,
    pollMs: 100,
    refreshMs: 60_000,
    backoffBaseMs: 50,
    backoffMaxMs: 200,
    ...options,
  });
  provider.start((ticks) => batches.push(ticks));
  const ticks = () => batches.flat();
  const waitFor = async (match: (tick: PriceTick) => boolean, ms = 5000) => {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      const found = ticks().find(match);
      if (found) return found;
      await Bun.sleep(10);
    }
    throw new Error(`no matching tick in ${ms} ms; got ${JSON.stringify(ticks().slice(-3))}`);
  };
  return { ticks, waitFor };
}

const waitUntil = async (condition: () => boolean, ms = 5000) => {
  const deadline = Date.now() + ms;
  while (!condition() && Date.now() < deadline) await Bun.sleep(10);
  expect(condition()).toBe(true);
};

describe("CoinCap provider against a local fake", () => {
  test("REST: the bearer key is sent, prices are decimal strings, nulls and unknown assets are skipped", async () => {
    const { waitFor, ticks } = start();
    const btc = await waitFor((tick) => tick.symbol === "BTC");
    expect(btc).toMatchObject({ priceUsd: "65012.34", change24h: "-1.23", source: "coincap" });
    expect((await waitFor((tick) => tick.symbol === "USDT")).priceUsd).toBe("1.0002");
    expect(ticks().some((tick) => tick.symbol === "SOL")).toBe(false);
    expect(fake.restCalls[0].authorization).toBe("Bearer test-key");
    expect(new URL(fake.restCalls[0].url).searchParams.get("ids")).toBe("bitcoin,ethereum,solana,tether");
  });

  test("stream: id → price frames become ticks; 'Unauthorized' and garbage frames are skipped", async () => {
    const { waitFor } = start();
    await waitUntil(() => fake.streams.size === 1);
    expect(new URL(fake.streamUrls[0]).searchParams.get("assets")).toBe("bitcoin,ethereum,solana,tether");
    for (const garbage of ["Unauthorized", "[1,2]", "null", '{"bitcoin":12}', '{"bitcoin":"-5"}', '{"bitcoin":"1e9"}']) {
      fake.push(garbage);
    }
    fake.push(JSON.stringify({ bitcoin: "66000.129", solana: "151.5", dogecoin: "1" }));
    expect((await waitFor((tick) => tick.priceUsd === "66000.13")).change24h).toBe("-1.23");
    expect((await waitFor((tick) => tick.symbol === "SOL")).priceUsd).toBe("151.5");
  });

  test("429 waits out Retry-After, 500 and garbage bodies are retried, and nothing throws", async () => {
    fake.acceptStreams = false;
    fake.restAnswers = [
      () => new Response("slow down", { status: 429, headers: { "retry-after": "1" } }),
      () => new Response("boom", { status: 500 }),
      () => new Response("<html>not json</html>", { status: 200 }),
      () => Response.json({ data: "nope" }),
    ];
    const startedAt = Date.now();
    const { waitFor } = start();
    await waitFor((tick) => tick.symbol === "BTC");
    // The 429 held polling back for its Retry-After second; then three bad answers, then good data.
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(900);
    expect(fake.restCalls.length).toBeGreaterThanOrEqual(5);
  });

  test("a dropped stream falls back to REST polling, reconnects with backoff, and polling stops again", async () => {
    const { waitFor, ticks } = start({ refreshMs: 60_000 });
    await waitUntil(() => fake.streams.size === 1);
    const callsWhileUp = fake.restCalls.length;
    await Bun.sleep(300);
    expect(fake.restCalls.length).toBe(callsWhileUp);

    fake.acceptStreams = false;
    fake.drop();
    // Down: REST polling every pollMs brings fresh prices.
    await waitUntil(() => fake.restCalls.length >= callsWhileUp + 2);
    const before = ticks().length;
    await waitUntil(() => ticks().length > before);

    fake.acceptStreams = true;
    await waitUntil(() => fake.streams.size === 1, 5000);
    fake.push(JSON.stringify({ ethereum: "3333.33" }));
    await waitFor((tick) => tick.priceUsd === "3333.33");
    await Bun.sleep(150);
    const callsAfterRecovery = fake.restCalls.length;
    await Bun.sleep(300);
    expect(fake.restCalls.length).toBe(callsAfterRecovery);
  });

  test("a stream that goes silent is treated as dead and reopened", async () => {
    start({ silenceMs: 300 });
    await waitUntil(() => fake.streamUrls.length === 1);
    await waitUntil(() => fake.streamUrls.length >= 2, 5000);
  });

  test("backoff grows, is capped, and is jittered", () => {
    for (let attempt = 0; attempt < 10; attempt++) {
      const wait = backoffMs(attempt, 1000, 30_000);
      expect(wait).toBeGreaterThanOrEqual(0);
      expect(wait).toBeLessThanOrEqual(Math.min(30_000, 1000 * 2 ** attempt));
    }
    const samples = new Set(Array.from({ length: 20 }, () => backoffMs(5, 1000, 30_000)));
    expect(samples.size).toBeGreaterThan(1);
  });
});
