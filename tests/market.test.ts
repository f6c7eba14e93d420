import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { and, eq, sql } from "drizzle-orm";
import {
  ALERTS_PER_CHECK,
  fireAlerts,
  MAX_ALERTS_PER_USER,
  type PriceRange,
  rangeOf,
  widenRanges,
} from "../src/modules/market/alerts";
import { CandleRecorder } from "../src/modules/market/candles";
import type { PriceTick } from "../src/modules/market/model";
import { PriceCache } from "../src/modules/market/price-cache";
import { normalizeChange, normalizePrice } from "../src/modules/market/prices";
import { candles1m, priceAlerts } from "../src/modules/market/schema";
import { startMarket } from "../src/modules/market/service";
import { MemoryBus, RedisBus } from "../src/platform/bus";
import { outboxEvents } from "../src/platform/events/schema";
import { compareDecimal, roundDecimal } from "../src/platform/money";
import { createLogger } from "../src/platform/observability/logger";
import { lastMailTo, PASSWORD, signedInUser, TestClient, uniqueEmail } from "./support/client";
import { createTestApp, createTestDatabase, TEST_REDIS_URL, testConfig } from "./support/harness";
import { quietProvider } from "./support/prices";

setDefaultTimeout(30_000);

let fixture: Awaited<ReturnType<typeof createTestApp>>;
beforeAll(async () => {
  fixture = await createTestApp({ PRICE_TICK_MS: "100", RATE_LIMIT_PER_MINUTE: "1000" });
});
afterAll(() => fixture.dispose());

type ErrorBody = { error: { code: string; details?: { fields?: string[] } } };
type Prices = { items: PriceTick[]; stale: boolean };
/** API.md's form of a decimal: no trailing fractional zero. */
const DECIMAL = /^\d+(\.\d*[1-9])?$/;
/** A simulated tick of `symbol` at `priceUsd`, made now. */
const tickOf = (symbol: string, priceUsd: string): PriceTick => ({
  symbol,
  priceUsd,
  change24h: "0.00",
  updatedAt: new Date().toISOString(),
  source: "simulated",
});

describe("price helpers", () => {
  test("provider prices become fixed-decimal strings without floats; garbage is refused", () => {
    expect(normalizePrice("65012.3456789")).toBe("65012.35");
    expect(normalizePrice("99.995")).toBe("99.995");
    expect(normalizePrice("199.995")).toBe("200");
    expect(normalizePrice("64912.80")).toBe("64912.8");
    expect(normalizePrice("1.000349")).toBe("1.0003");
    expect(normalizePrice("0.000012345")).toBe("0.00001235");
    for (const bad of ["", "-1", "1e3", "abc", "0", "0.000000001", " 1"]) expect(normalizePrice(bad)).toBeUndefined();
    expect(roundDecimal("9.999", 2)).toBe("10.00");
    expect(normalizeChange("-1.2351")).toBe("-1.24");
    expect(normalizeChange("-0.001")).toBe("0.00");
    expect(normalizeChange(null)).toBe("0.00");
    expect(compareDecimal("65000.1", "65000.09")).toBe(1);
    expect(compareDecimal("1.0", "1")).toBe(0);
  });
});

describe("GET /api/prices", () => {
  test("every configured asset as decimal strings, USD pegged at 1, labelled simulated, not stale", async () => {
    const deadline = Date.now() + 5000;
    let body: Prices = { items: [], stale: true };
    while (body.stale && Date.now() < deadline) {
      body = (await (await fixture.request("/api/prices")).json()) as Prices;
      if (body.stale) await Bun.sleep(50);
    }
    expect(body.stale).toBe(false);
    expect(body.items.map((item) => item.symbol)).toEqual(["USD", "BTC", "ETH", "SOL", "USDT"]);
    expect(body.items[0]).toMatchObject({ symbol: "USD", priceUsd: "1", source: "simulated" });
    for (const item of body.items) {
      expect(typeof item.priceUsd).toBe("string");
      expect(item.priceUsd).toMatch(DECIMAL);
      expect(item.change24h).toMatch(/^-?\d+\.\d{2}$/);
      expect(item.updatedAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      expect(item.source).toBe("simulated");
    }
    const btc = Number(body.items[1].priceUsd);
    expect(btc).toBeGreaterThan(50_000);
    expect(btc).toBeLessThan(80_000);
    expect(Math.abs(Number(body.items[4].priceUsd) - 1)).toBeLessThan(0.01);
  });

  test("the simulated source moves every symbol on every tick", async () => {
    const first = (await (await fixture.request("/api/prices")).json()) as Prices;
    await Bun.sleep(350);
    const later = (await (await fixture.request("/api/prices")).json()) as Prices;
    for (const symbol of ["BTC", "ETH", "SOL", "USDT"]) {
      const before = first.items.find((item) => item.symbol === symbol);
      const after = later.items.find((item) => item.symbol === symbol);
      expect((after?.updatedAt ?? "") > (before?.updatedAt ?? "")).toBe(true);
    }
  });

  test("the cache reports staleness after 30 s without a tick", () => {
    const { cache } = fixture.app.decorator.runtime.market;
    expect(cache.isStale()).toBe(false);
    expect(cache.isStale("BTC", Date.now() + 31_000)).toBe(true);
    expect(cache.isStale("USD", Date.now() + 31_000)).toBe(false);
    expect(cache.latest("USD")?.priceUsd).toBe("1");
  });

  test("the prices are stale when any one asset's is, the last configured one too, not only the first's", () => {
    const cache = new PriceCache(["BTC", "ETH", "SOL"], "simulated");
    const now = Date.now();
    const at = (ms: number) => new Date(ms).toISOString();
    cache.update([tickOf("BTC", "65000"), tickOf("ETH", "3000")]);
    // SOL never had a price: nothing to trade it at.
    expect(cache.isStale()).toBe(true);
    cache.update([{ ...tickOf("SOL", "150"), updatedAt: at(now - 31_000) }]);
    expect([cache.isStale("BTC"), cache.isStale("ETH"), cache.isStale("SOL")]).toEqual([false, false, true]);
    expect(cache.isStale()).toBe(true);
    cache.update([tickOf("SOL", "151")]);
    expect(cache.isStale()).toBe(false);
    expect(cache.isStale(undefined, now + 20_000)).toBe(false);
    // Only the middle one left behind: stale as well.
    cache.update([
      { ...tickOf("BTC", "65001"), updatedAt: at(now + 25_000) },
      { ...tickOf("SOL", "152"), updatedAt: at(now + 25_000) },
    ]);
    expect(cache.isStale(undefined, now + 31_000)).toBe(true);
    expect(cache.isStale("BTC", now + 31_000)).toBe(false);
  });

  test("a wall clock stepped back: the frozen price turns stale after 30 s here, then the next tick replaces it", () => {
    let monotonic = 0;
    const cache = new PriceCache(["BTC"], "simulated", () => monotonic);
    const tick = (priceUsd: string, updatedAt: Date) =>
      cache.update([{ symbol: "BTC", priceUsd, change24h: "0.00", updatedAt: updatedAt.toISOString(), source: "simulated" }]);
    const now = Date.now();
    tick("65000", new Date(now));
    // The clock steps back three minutes: every new tick is dated before the one kept.
    const stepped = now - 180_000;
    monotonic += 1_000;
    tick("64000", new Date(stepped));
    expect(cache.latest("BTC")?.priceUsd).toBe("65000");
    expect(cache.isStale("BTC", stepped)).toBe(false);
    monotonic += 30_001;
    // By the wall clock the kept price is from the future, yet it has not moved here for over 30 s.
    expect(cache.isStale("BTC", stepped + 31_000)).toBe(true);
    tick("64100", new Date(stepped + 31_000));
    expect(cache.latest("BTC")?.priceUsd).toBe("64100");
    expect(cache.isStale("BTC", stepped + 31_000)).toBe(false);
  });
});

describe("candles", () => {
  const minute = (iso: string) => new Date(iso);
  beforeAll(async () => {
    // Two hours of hand-made minutes for a symbol the simulated feed also writes, far in the past.
    const rows = [
      { t: "2024-01-01T10:00:00Z", o: "100", h: "110", l: "95", c: "105" },
      { t: "2024-01-01T10:01:00Z", o: "105", h: "120", l: "101", c: "119" },
      { t: "2024-01-01T10:04:00Z", o: "119", h: "119.5", l: "90.25", c: "92" },
      { t: "2024-01-01T10:05:00Z", o: "92", h: "93", l: "91", c: "93" },
      { t: "2024-01-01T11:30:00Z", o: "93", h: "200.00", l: "93", c: "150.50" },
    ];
    await fixture.deps.database.db.insert(candles1m).values(rows.map((row) => ({ symbol: "ETH", ...row, t: minute(row.t) })));
  });
  const get = async (query: string) => {
    const response = await fixture.request(`/api/prices/ETH/candles?${query}`);
    return { status: response.status, body: (await response.json()) as { items: Record<string, string>[] } & ErrorBody };
  };
  const range = "from=2024-01-01T00:00:00Z&to=2024-01-02T00:00:00Z";

  test("1m rows come back as stored, ISO times and decimal strings", async () => {
    const { status, body } = await get(`interval=1m&${range}`);
    expect(status).toBe(200);
    expect(body.items).toHaveLength(5);
    expect(body.items[0]).toEqual({ t: "2024-01-01T10:00:00.000Z", o: "100", h: "110", l: "95", c: "105" });
  });

  test("5m, 1h and 1d aggregate: first open, last close, extreme high and low", async () => {
    expect((await get(`interval=5m&${range}`)).body.items).toEqual([
      { t: "2024-01-01T10:00:00.000Z", o: "100", h: "120", l: "90.25", c: "92" },
      { t: "2024-01-01T10:05:00.000Z", o: "92", h: "93", l: "91", c: "93" },
      { t: "2024-01-01T11:30:00.000Z", o: "93", h: "200", l: "93", c: "150.5" },
    ]);
    expect((await get(`interval=1h&${range}`)).body.items).toEqual([
      { t: "2024-01-01T10:00:00.000Z", o: "100", h: "120", l: "90.25", c: "93" },
      { t: "2024-01-01T11:00:00.000Z", o: "93", h: "200", l: "93", c: "150.5" },
    ]);
    expect((await get(`interval=1d&${range}`)).body.items).toEqual([
      { t: "2024-01-01T00:00:00.000Z", o: "100", h: "200", l: "90.25", c: "150.5" },
    ]);
    // Epoch milliseconds work as well as ISO 8601.
    const from = Date.parse("2024-01-01T10:04:00Z");
    expect((await get(`interval=1m&from=${from}&to=${from + 60_000}`)).body.items).toHaveLength(1);
  });

  test("candles start at or after from and before to, each whole, as its label says", async () => {
    // 10:01 lies inside the 10:00–10:05 bucket, which is left out rather than opened at 10:01's price; the
    // 10:05 bucket is whole although `to` ends inside it.
    expect((await get("interval=5m&from=2024-01-01T10:01:00Z&to=2024-01-01T10:06:00Z")).body.items).toEqual([
      { t: "2024-01-01T10:05:00.000Z", o: "92", h: "93", l: "91", c: "93" },
    ]);
    expect((await get("interval=1h&from=2024-01-01T09:30:00Z&to=2024-01-01T11:00:00Z")).body.items).toEqual([
      { t: "2024-01-01T10:00:00.000Z", o: "100", h: "120", l: "90.25", c: "93" },
    ]);
    expect((await get("interval=1h&from=2024-01-01T10:00:00Z&to=2024-01-01T11:30:00Z")).body.items).toEqual([
      { t: "2024-01-01T10:00:00.000Z", o: "100", h: "120", l: "90.25", c: "93" },
      { t: "2024-01-01T11:00:00.000Z", o: "93", h: "200", l: "93", c: "150.5" },
    ]);
    // The cap keeps whole buckets too: the most recent 1000 hours end with the 11:00 candle, complete.
    const capped = await get("interval=1h&from=2023-01-01T00:00:00Z&to=2024-01-01T11:00:00.001Z");
    expect(capped.body.items).toEqual([
      { t: "2024-01-01T10:00:00.000Z", o: "100", h: "120", l: "90.25", c: "93" },
      { t: "2024-01-01T11:00:00.000Z", o: "93", h: "200", l: "93", c: "150.5" },
    ]);
  });

  test("a range reaching into the future is cut at now, so asking for today shows today's candles", async () => {
    const halfHourAgo = new Date(Math.floor(Date.now() / 60_000) * 60_000 - 30 * 60_000);
    await fixture.deps.database.db.insert(candles1m).values({ symbol: "ETH", t: halfHourAgo, o: "1", h: "2", l: "1", c: "2" });
    const from = new Date(Date.now() - 3_600_000).toISOString();
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString();
    const { body } = await get(`interval=1m&from=${from}&to=${tomorrow}`);
    expect(body.items.map((candle) => candle.t)).toContain(halfHourAgo.toISOString());
  });

  test("unknown symbol is 404, bad interval or time is 422", async () => {
    const unknown = await fixture.request("/api/prices/DOGE/candles");
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as ErrorBody).error.code).toBe("NOT_FOUND");
    const badInterval = await get("interval=2m");
    expect(badInterval.status).toBe(422);
    expect(badInterval.body.error.code).toBe("VALIDATION_FAILED");
    const badTime = await get("from=yesterday");
    expect(badTime.status).toBe(422);
    expect(badTime.body.error.details?.fields).toEqual(["from"]);
    // Every bad parameter in one answer.
    const allBad = await get("interval=7m&from=x&to=y");
    expect([...(allBad.body.error.details?.fields ?? [])].sort()).toEqual(["from", "interval", "to"]);
    expect((await get("from=2024-13-45")).body.error.details?.fields).toEqual(["from"]);
    // Instants the database cannot hold, and a range that ends before it starts.
    for (const [query, field] of [
      ["from=0000-01-01T00:00:00Z", "from"],
      ["to=999999999999999", "to"],
      ["from=2024-02-30T00:00:00Z", "from"],
      ["from=2024-01-02T00:00:00Z&to=2024-01-01T00:00:00Z", "from"],
    ]) {
      const refused = await get(query);
      expect([query, refused.status, refused.body.error?.details?.fields]).toEqual([query, 422, [field]]);
    }
    // The earliest storable instants are valid, if empty, ranges (the default range reaches back before them);
    // so are the latest, whose buckets rounded up would lie past what the database holds.
    for (const query of [
      "interval=1m&to=0001-01-01T00:00:00Z",
      "interval=1d&to=0001-06-01T00:00:00Z",
      "interval=1m&from=9999-12-31T23:59:59Z",
      "interval=1d&from=9999-12-31T00:00:01Z",
      "interval=1h&from=9999-12-31T23:00:01Z&to=9999-12-31T23:59:59Z",
    ]) {
      const { status, body } = await get(query);
      expect([query, status, body.items]).toEqual([query, 200, []]);
    }
  });

  test("a minute's ticks make one candle: first open, highest high, lowest low, last close", async () => {
    const db = fixture.deps.database.db;
    const recorder = new CandleRecorder(db, createLogger("silent"));
    // A symbol and a minute nothing else writes: the simulated feed ticks now, the rows above are ETH's.
    const tickAt = (priceUsd: string, second: number) => ({
      ...tickOf("SOL", priceUsd),
      updatedAt: `2023-06-01T12:00:${String(second).padStart(2, "0")}.000Z`,
    });
    recorder.record([tickAt("10", 5)]);
    recorder.record([tickAt("8", 20)]);
    recorder.record([tickAt("12", 40)]);
    await recorder.flush();
    const stored = await db
      .select({ o: candles1m.o, h: candles1m.h, l: candles1m.l, c: candles1m.c })
      .from(candles1m)
      .where(and(eq(candles1m.symbol, "SOL"), eq(candles1m.t, new Date("2023-06-01T12:00:00Z"))));
    // Stored as numeric (trailing zeros as the column's scale gives them): compared as numbers.
    expect(stored.map((row) => [row.o, row.h, row.l, row.c].map(Number))).toEqual([[10, 12, 8, 12]]);
    const response = await fixture.request(
      "/api/prices/SOL/candles?interval=1m&from=2023-06-01T12:00:00Z&to=2023-06-01T12:01:00Z",
    );
    expect(((await response.json()) as { items: unknown[] }).items).toEqual([
      { t: "2023-06-01T12:00:00.000Z", o: "10", h: "12", l: "8", c: "12" },
    ]);
  });

  test("the leader writes one-minute candles from its ticks", async () => {
    await fixture.app.decorator.runtime.market.stop();
    const rows = await fixture.deps.database.db.select().from(candles1m).where(eq(candles1m.symbol, "BTC"));
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      expect(compareDecimal(row.h, row.l)).toBeGreaterThanOrEqual(0);
      expect(compareDecimal(row.h, row.c)).toBeGreaterThanOrEqual(0);
      expect(compareDecimal(row.c, row.l)).toBeGreaterThanOrEqual(0);
    }
  });
});

describe("price feed start", () => {
  test("a first start resumes from the last recorded close, and the leader's first tick is in its own cache", async () => {
    const prefix = `cvtest-resume-${process.pid}-${Date.now()}:`;
    // One tick a minute: a first tick the leader's own cache missed would leave it empty for the whole test.
    const config = testConfig({ REDIS_KEY_PREFIX: prefix, PRICE_TICK_MS: "60000" });
    const database = await createTestDatabase();
    const minute = Math.floor(Date.now() / 60_000) * 60_000;
    const candle = (t: number, c: string) => ({ symbol: "BTC", t: new Date(t), o: c, h: c, l: c, c });
    await database.db.insert(candles1m).values([candle(minute - 120_000, "70000"), candle(minute - 86_700_000, "56000")]);
    const bus = TEST_REDIS_URL ? new RedisBus(TEST_REDIS_URL, prefix) : new MemoryBus();
    const market = startMarket({ config, db: database.db, bus, logger: createLogger("silent") });
    const deadline = Date.now() + 5000;
    while (!market.cache.latest("BTC") && Date.now() < deadline) await Bun.sleep(25);
    const btc = market.cache.latest("BTC");
    expect(btc).toBeDefined();
    // One step of the walk from 70000, and 25 % up on the close a day before.
    expect(Math.abs(Number(btc?.priceUsd) / 70_000 - 1)).toBeLessThan(0.01);
    expect(Math.abs(Number(btc?.change24h) - 25)).toBeLessThan(1);
    await market.stop();
    await bus.close();
    await database.dispose();
  });
});

describe("price feed on a failing bus", () => {
  test("a bus that refuses the subscription leaves the instance without prices, logged, and stops cleanly", async () => {
    const lines: string[] = [];
    const logger = createLogger("error", (line) => lines.push(line));
    const bus = new MemoryBus();
    bus.subscribe = () => Promise.reject(new Error("subscription refused"));
    const market = startMarket(
      { config: testConfig(), db: fixture.deps.database.db, bus, logger },
      { provider: quietProvider() },
    );
    await Bun.sleep(50);
    expect(lines.map((line) => JSON.parse(line).msg)).toEqual(["price feed not started: the bus refused the subscription"]);
    expect(market.isLeader()).toBe(false);
    await market.stop();
    await bus.close();
  });
});

/**
 * A market of its own, leading (in process: at once), whose provider's ticks the test emits; `stop` ends it. Its
 * checks and the fixture's run over the same alerts.
 */
async function startLeadingMarket(logger = createLogger("silent")) {
  let emit: (ticks: PriceTick[]) => void = () => {};
  const provider = { ...quietProvider(), start: (to: typeof emit) => (emit = to) };
  const bus = new MemoryBus();
  const market = startMarket({ config: testConfig(), db: fixture.deps.database.db, bus, logger }, { provider });
  // Bounded: at most 100 rounds of 20 ms for the lease and the provider's start.
  for (let round = 0; round < 100 && !market.isLeader(); round++) await Bun.sleep(20);
  return {
    emit: (ticks: PriceTick[]) => emit(ticks),
    stop: async () => {
      await market.stop();
      await bus.close();
    },
  };
}

describe("alerts", () => {
  type AlertBody = { alert: { id: string; symbol: string; direction: string; price: string; active: boolean } };

  test("a user keeps at most 100 alerts, also when adding many at once; deleting one makes room", async () => {
    const { client, userId } = await signedInUser(fixture, "alert-cap");
    const db = fixture.deps.database.db;
    await db.insert(priceAlerts).values(
      Array.from({ length: MAX_ALERTS_PER_USER - 4 }, () => ({
        userId,
        symbol: "BTC",
        direction: "above" as const,
        price: "1",
      })),
    );
    const answers = await Promise.all(
      Array.from({ length: 12 }, () =>
        client.json<ErrorBody>("POST", "/api/alerts", { symbol: "ETH", direction: "below", price: "2" }),
      ),
    );
    expect(answers.filter((a) => a.status === 201)).toHaveLength(4);
    const refused = answers.filter((a) => a.status !== 201);
    expect(refused.map((a) => [a.status, a.body.error.code])).toEqual(Array(8).fill([422, "LIMIT_EXCEEDED"]));
    const kept = await db.select().from(priceAlerts).where(eq(priceAlerts.userId, userId));
    expect(kept).toHaveLength(MAX_ALERTS_PER_USER);
    expect((await client.json("DELETE", `/api/alerts/${kept[0].id}`)).status).toBe(204);
    expect((await client.json("POST", "/api/alerts", { symbol: "ETH", direction: "below", price: "2" })).status).toBe(201);
  });

  test("create, list, delete; someone else's alert is 404; bad input is 422", async () => {
    const { client } = await signedInUser(fixture, "alerts");
    const created = await client.json<AlertBody>("POST", "/api/alerts", { symbol: "BTC", direction: "above", price: "70000.5" });
    expect(created.status).toBe(201);
    expect(created.body.alert).toMatchObject({ symbol: "BTC", direction: "above", price: "70000.5", active: true });
    const list = await client.json<{ items: { id: string }[] }>("GET", "/api/alerts");
    expect(list.body.items.map((alert) => alert.id)).toEqual([created.body.alert.id]);

    const other = await signedInUser(fixture, "other");
    const stolen = await other.client.json<ErrorBody>("DELETE", `/api/alerts/${created.body.alert.id}`);
    expect(stolen.status).toBe(404);
    expect(stolen.body.error.code).toBe("NOT_FOUND");
    expect((await other.client.json<{ items: unknown[] }>("GET", "/api/alerts")).body.items).toEqual([]);

    for (const body of [
      { symbol: "BTC", direction: "sideways", price: "1" },
      { symbol: "BTC", direction: "above", price: "1e3" },
      { symbol: "BTC", direction: "above", price: 70000 },
      { symbol: "BTC", direction: "above", price: "0" },
      { symbol: "DOGE", direction: "above", price: "1" },
      { symbol: "USD", direction: "above", price: "1" },
    ]) {
      const bad = await client.json<ErrorBody>("POST", "/api/alerts", body);
      expect({ body, status: bad.status, code: bad.body.error.code }).toEqual({ body, status: 422, code: "VALIDATION_FAILED" });
    }
    expect((await client.json("DELETE", "/api/alerts/not-a-uuid")).status).toBe(404);
    const deleted = await client.request("DELETE", `/api/alerts/${created.body.alert.id}`);
    expect(deleted.status).toBe(204);
    expect((await client.json<{ items: unknown[] }>("GET", "/api/alerts")).body.items).toEqual([]);
  });

  test("an alert's price is answered in canonical form, stored rows with trailing zeros too", async () => {
    const { client, userId } = await signedInUser(fixture, "alert-price");
    const created = await client.json<AlertBody>("POST", "/api/alerts", { symbol: "BTC", direction: "below", price: "1000.50" });
    expect(created.status).toBe(201);
    expect(created.body.alert.price).toBe("1000.5");
    // Leading zeros too, as an amount or a limit price takes them.
    const padded = await client.json<AlertBody>("POST", "/api/alerts", { symbol: "SOL", direction: "below", price: "00.5" });
    expect([padded.status, padded.body.alert.price]).toEqual([201, "0.5"]);
    // A row written before prices were canonicalized still carries its trailing zeros in the database.
    await fixture.deps.database.db.insert(priceAlerts).values({ userId, symbol: "ETH", direction: "below", price: "10.000" });
    const list = await client.json<{ items: { symbol: string; price: string }[] }>("GET", "/api/alerts");
    // Both rows may carry the same millisecond: compared by symbol, not by the list's order.
    expect(Object.fromEntries(list.body.items.map((alert) => [alert.symbol, alert.price]))).toEqual({
      BTC: "1000.5",
      ETH: "10",
      SOL: "0.5",
    });
    for (const price of ["0", "0.000"]) {
      const zero = await client.json<ErrorBody>("POST", "/api/alerts", { symbol: "BTC", direction: "above", price });
      expect({ price, status: zero.status, body: zero.body.error }).toMatchObject({
        price,
        status: 422,
        body: { code: "VALIDATION_FAILED", details: { fields: ["price"] } },
      });
    }
  });

  test("the list is cursor-paginated, newest first; limit out of range names its field", async () => {
    const { client } = await signedInUser(fixture, "alert-pages");
    const ids: string[] = [];
    // Far below any simulated price: neither the live ticks nor the firing test below trigger them.
    for (const price of ["0.01", "0.02", "0.03"]) {
      const created = await client.json<AlertBody>("POST", "/api/alerts", { symbol: "BTC", direction: "below", price });
      ids.push(created.body.alert.id);
      // Times are kept to the millisecond: two alerts made within one are equally new (their order is by id).
      await Bun.sleep(3);
    }
    type Page = { items: { id: string }[]; nextCursor: string | null };
    const first = await client.json<Page>("GET", "/api/alerts?limit=2");
    expect(first.body.items.map((alert) => alert.id)).toEqual([ids[2], ids[1]]);
    expect(first.body.nextCursor).toBeString();
    const second = await client.json<Page>("GET", `/api/alerts?limit=2&cursor=${first.body.nextCursor}`);
    expect(second.body).toEqual({ items: [expect.objectContaining({ id: ids[0] })], nextCursor: null });
    expect((await client.json<Page>("GET", "/api/alerts")).body.items).toHaveLength(3);
    for (const query of ["limit=0", "limit=101", "cursor=garbage"]) {
      const bad = await client.json<ErrorBody>("GET", `/api/alerts?${query}`);
      expect({ query, status: bad.status, fields: bad.body.error.details?.fields }).toEqual({
        query,
        status: 422,
        fields: [query.split("=")[0]],
      });
    }
  });

  test("alerts need sign-in, and the CSRF header with cookies", async () => {
    expect((await new TestClient(fixture).json<ErrorBody>("GET", "/api/alerts")).status).toBe(401);
    const { client } = await signedInUser(fixture, "csrf");
    const response = await client.request("POST", "/api/alerts", {
      body: { symbol: "BTC", direction: "above", price: "1" },
      csrf: false,
    });
    expect(response.status).toBe(403);
  });

  test("an alert fires once when its price is crossed: inactive, one socket event, one mail", async () => {
    const { client, userId, email } = await signedInUser(fixture, "fire");
    const above = await client.json<AlertBody>("POST", "/api/alerts", { symbol: "SOL", direction: "above", price: "200" });
    const below = await client.json<AlertBody>("POST", "/api/alerts", { symbol: "SOL", direction: "below", price: "100" });
    const at = (priceUsd: string) => ({ symbol: "SOL", low: priceUsd, lowAt: new Date(), high: priceUsd, highAt: new Date() });
    const db = fixture.deps.database.db;
    expect(await fireAlerts(db, [at("150")])).toBe(0);
    expect(await fireAlerts(db, [at("200.01")])).toBe(1);
    expect(await fireAlerts(db, [at("250")])).toBe(0);

    const alerts = await client.json<{ items: { id: string; active: boolean }[] }>("GET", "/api/alerts");
    expect(alerts.body.items.find((a) => a.id === above.body.alert.id)?.active).toBe(false);
    expect(alerts.body.items.find((a) => a.id === below.body.alert.id)?.active).toBe(true);
    const events = await db
      .select()
      .from(outboxEvents)
      .where(and(eq(outboxEvents.userId, userId), eq(outboxEvents.type, "alert")));
    expect(events).toHaveLength(1);
    expect(events[0].data).toMatchObject({ id: above.body.alert.id, active: false, triggeredPrice: "200.01" });
    const mail = await lastMailTo(fixture, email);
    expect(mail.subject).toBe("Price alert");
    expect(mail.textBody).toContain("SOL is above 200 USD");
  });

  test("an alert fires at exactly its price: above 50000 on a tick of 50000, below 20 on a tick of 20", async () => {
    const { client } = await signedInUser(fixture, "exact");
    // SOL, far from its simulated price (about 150): the live ticks reach neither.
    const above = await client.json<AlertBody>("POST", "/api/alerts", { symbol: "SOL", direction: "above", price: "50000" });
    const below = await client.json<AlertBody>("POST", "/api/alerts", { symbol: "SOL", direction: "below", price: "20" });
    const at = (priceUsd: string) => ({ symbol: "SOL", low: priceUsd, lowAt: new Date(), high: priceUsd, highAt: new Date() });
    const db = fixture.deps.database.db;
    const state = async () => {
      const { body } = await client.json<{ items: { id: string; active: boolean; triggeredPrice: string | null }[] }>(
        "GET",
        "/api/alerts",
      );
      const of = (id: string) => body.items.find((alert) => alert.id === id);
      return { above: of(above.body.alert.id), below: of(below.body.alert.id) };
    };
    // A cent short of either leaves both waiting.
    await fireAlerts(db, [at("49999.99")]);
    await fireAlerts(db, [at("20.01")]);
    expect(await state()).toMatchObject({ above: { active: true }, below: { active: true } });
    await fireAlerts(db, [at("50000")]);
    expect(await state()).toMatchObject({
      above: { active: false, triggeredPrice: "50000" },
      below: { active: true },
    });
    await fireAlerts(db, [at("20.00")]);
    // Recorded in canonical form, as the alert's own price is.
    expect(await state()).toMatchObject({ below: { active: false, triggeredPrice: "20" } });
  });

  test("one check fires both sides of a range, each at the price that reached it; ranges widen over ticks", async () => {
    const { client } = await signedInUser(fixture, "range");
    const above = await client.json<AlertBody>("POST", "/api/alerts", { symbol: "BTC", direction: "above", price: "70000" });
    const below = await client.json<AlertBody>("POST", "/api/alerts", { symbol: "BTC", direction: "below", price: "60000" });
    const ranges = new Map<string, PriceRange>();
    const tick = (priceUsd: string) => tickOf("BTC", priceUsd);
    const [first, second, third] = [1, 2, 3].map((seconds) => new Date(Date.now() + seconds * 1000));
    widenRanges(ranges, [rangeOf(tick("65000"), first)]);
    widenRanges(ranges, [rangeOf(tick("70000.5"), second), rangeOf(tick("59999.99"), second)]);
    widenRanges(ranges, [rangeOf(tick("64000"), third), rangeOf(tick("70000.5"), third)]);
    // The high was seen again later: it keeps the later time.
    expect([...ranges.values()]).toEqual([{ symbol: "BTC", low: "59999.99", lowAt: second, high: "70000.5", highAt: third }]);
    expect(await fireAlerts(fixture.deps.database.db, [...ranges.values()])).toBeGreaterThanOrEqual(2);
    const { body } = await client.json<{ items: { id: string; triggeredPrice: string | null }[] }>("GET", "/api/alerts");
    expect(body.items.find((a) => a.id === above.body.alert.id)?.triggeredPrice).toBe("70000.5");
    expect(body.items.find((a) => a.id === below.body.alert.id)?.triggeredPrice).toBe("59999.99");
  });

  test("an alert does not fire on a price seen before it was made", async () => {
    const { client } = await signedInUser(fixture, "made-after");
    const before = new Date(Date.now() - 60_000);
    const alert = await client.json<AlertBody>("POST", "/api/alerts", { symbol: "ETH", direction: "above", price: "4000" });
    const spike = { symbol: "ETH", low: "3000", lowAt: before, high: "4100", highAt: before };
    await fireAlerts(fixture.deps.database.db, [spike]);
    const listed = async () =>
      (await client.json<{ items: { id: string; active: boolean }[] }>("GET", "/api/alerts")).body.items.find(
        (a) => a.id === alert.body.alert.id,
      );
    expect((await listed())?.active).toBe(true);
    await fireAlerts(fixture.deps.database.db, [{ ...spike, highAt: new Date() }]);
    expect((await listed())?.active).toBe(false);
  });

  test("a price that crossed an alert only while a check ran still fires it, at the next tick", async () => {
    const { client } = await signedInUser(fixture, "between-checks");
    const alert = await client.json<AlertBody>("POST", "/api/alerts", { symbol: "SOL", direction: "above", price: "900" });
    const { emit, stop } = await startLeadingMarket();
    const db = fixture.deps.database.db;
    const tick = (priceUsd: string) => tickOf("SOL", priceUsd);
    // The alerts table is held, so the check of the first tick waits while the spike comes and goes.
    await db.transaction(async (tx) => {
      await tx.execute(sql`lock table price_alerts in exclusive mode`);
      emit([tick("150")]);
      emit([tick("950")]);
      emit([tick("155")]);
      await Bun.sleep(50);
    });
    const state = async () =>
      (
        await client.json<{ items: { id: string; active: boolean; triggeredPrice: string | null }[] }>("GET", "/api/alerts")
      ).body.items.find((a) => a.id === alert.body.alert.id);
    await Bun.sleep(100); // the first check ends, having seen 150 only
    emit([tick("160")]);
    // Bounded: at most 100 rounds of 20 ms for the second check.
    for (let round = 0; round < 100 && (await state())?.active; round++) await Bun.sleep(20);
    expect(await state()).toMatchObject({ active: false, triggeredPrice: "950" });
    await stop();
  });

  test("a check that failed is made again with the next tick's prices: a database blip misses no crossing", async () => {
    const { client } = await signedInUser(fixture, "failed-check");
    const alert = await client.json<AlertBody>("POST", "/api/alerts", { symbol: "SOL", direction: "above", price: "910" });
    const logged: string[] = [];
    const { emit, stop } = await startLeadingMarket(createLogger("warn", (line) => void logged.push(line)));
    const db = fixture.deps.database.db;
    await db.execute(sql`alter table price_alerts rename to price_alerts_away`);
    try {
      emit([tickOf("SOL", "960")]);
      // Bounded: at most 100 rounds of 20 ms for the check to fail.
      for (let round = 0; round < 100 && !logged.some((line) => line.includes("alert check failed")); round++)
        await Bun.sleep(20);
    } finally {
      await db.execute(sql`alter table price_alerts_away rename to price_alerts`);
    }
    expect(logged.some((line) => line.includes("alert check failed"))).toBe(true);
    emit([tickOf("SOL", "160")]);
    const state = async () =>
      (
        await client.json<{ items: { id: string; active: boolean; triggeredPrice: string | null }[] }>("GET", "/api/alerts")
      ).body.items.find((a) => a.id === alert.body.alert.id);
    // Bounded: at most 100 rounds of 20 ms for the second check.
    for (let round = 0; round < 100 && (await state())?.active; round++) await Bun.sleep(20);
    expect(await state()).toMatchObject({ active: false, triggeredPrice: "960" });
    await stop();
  });

  test("more alerts due than one check fires: the rest fire with the next tick, at the price that crossed them", async () => {
    const { userId } = await signedInUser(fixture, "crowd");
    const db = fixture.deps.database.db;
    const due = ALERTS_PER_CHECK + 3;
    await db.execute(sql`insert into price_alerts (user_id, symbol, direction, price, created_at)
      select ${userId}::uuid, 'ETH', 'above', 5000, now() - interval '1 minute' from generate_series(1, ${due})`);
    const { emit, stop } = await startLeadingMarket();
    const fired = async () =>
      (
        await db
          .select()
          .from(priceAlerts)
          .where(and(eq(priceAlerts.userId, userId), eq(priceAlerts.active, false)))
      ).map((row) => row.triggeredPrice);
    emit([tickOf("ETH", "5100")]);
    // Bounded: at most 200 rounds of 20 ms for the first check.
    for (let round = 0; round < 200 && (await fired()).length < ALERTS_PER_CHECK; round++) await Bun.sleep(20);
    emit([tickOf("ETH", "4000")]);
    for (let round = 0; round < 200 && (await fired()).length < due; round++) await Bun.sleep(20);
    expect(await fired()).toEqual(Array(due).fill("5100"));
    await stop();
  });

  test("an unverified address gets no alert mail (anyone could sign up with it); the socket event still goes", async () => {
    const client = new TestClient(fixture);
    const email = uniqueEmail("alert-unverified");
    const registered = await client.json<{ user: { id: string } }>("POST", "/api/auth/register", {
      email,
      password: PASSWORD,
      name: "Not the owner",
    });
    expect((await client.post("/api/auth/login", { email, password: PASSWORD })).status).toBe(200);
    await client.json("POST", "/api/alerts", { symbol: "ETH", direction: "below", price: "1" });
    const range = { symbol: "ETH", low: "0.5", lowAt: new Date(), high: "0.5", highAt: new Date() };
    expect(await fireAlerts(fixture.deps.database.db, [range])).toBeGreaterThanOrEqual(1);
    expect((await lastMailTo(fixture, email)).subject).toBe("Verify your email");
    const events = await fixture.deps.database.db
      .select()
      .from(outboxEvents)
      .where(and(eq(outboxEvents.userId, registered.body.user.id), eq(outboxEvents.type, "alert")));
    expect(events).toHaveLength(1);
  });
});
