/**
 * Model-based property test of trading: random deposits, price moves, market orders (with and without a
 * quote), limit and stop orders placed, triggered and cancelled, with valid and invalid amounts, through
 * the real API. After every command: the ledger's invariants (conservation including house and fees, no
 * user account negative) and every balance against a model that prices with exact rationals.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import fc from "fast-check";
import { verifyLedger } from "../src/modules/ledger/verify";
import { runOrderTriggers } from "../src/modules/trading/triggers";
import { formatAmount, parseAmount } from "../src/platform/money";
import { deposit, signedInUser, type TestClient } from "./support/client";
import { createTestApp } from "./support/harness";
import { quietProvider, setPrices } from "./support/prices";

setDefaultTimeout(300_000);

const SPREAD = 50n;
const FEE_BPS = 10n;
const BTC_UNIT = 10n ** 8n;

type Side = "buy" | "sell";
type Open = { id: string; type: "limit" | "stop"; side: Side; units: bigint; triggerCents: bigint; held: bigint };
type Wallet = { usd: bigint; usdHeld: bigint; btc: bigint; btcHeld: bigint };
type Model = { priceCents: bigint; wallets: Wallet[]; open: Open[][] };
type Real = { clients: TestClient[] };

let fixture: Awaited<ReturnType<typeof createTestApp>>;
let real: Real;
beforeAll(async () => {
  fixture = await createTestApp(
    { RATE_LIMIT_PER_MINUTE: "1000000", TRADING_SPREAD_BPS: String(SPREAD), TRADING_FEE_BPS: String(FEE_BPS) },
    { market: { provider: quietProvider() } },
  );
  const clients = [];
  for (const label of ["trader-a", "trader-b"]) clients.push((await signedInUser(fixture, label)).client);
  real = { clients };
});
afterAll(() => fixture.dispose());

const post = (client: TestClient, path: string, body: unknown) =>
  client.request("POST", path, { body, headers: { "idempotency-key": crypto.randomUUID() } });
const code = async (response: Response) => ((await response.json()) as { error?: { code: string } }).error?.code;
const publish = (cents: bigint) => setPrices([fixture], { BTC: formatAmount(cents, 2) });

/**
 * The exact USD value, in cents, of `units` satoshi at `priceCents` ± spread, as a fraction. The model
 * rounds it itself and checks that what the platform charged is never less (or paid is never more).
 */
function exactCents(units: bigint, priceCents: bigint, side: Side): { num: bigint; den: bigint } {
  const factor = side === "buy" ? 10_000n + SPREAD : 10_000n - SPREAD;
  return { num: units * priceCents * factor, den: BTC_UNIT * 10_000n };
}
const ceil = ({ num, den }: { num: bigint; den: bigint }) => (num + den - 1n) / den;
const floor = ({ num, den }: { num: bigint; den: bigint }) => num / den;
const feeOf = (cents: bigint) => (cents * FEE_BPS + 9_999n) / 10_000n;

/**
 * What a trade of an exact value costs (buy, rounded up) or yields before its fee (sell, rounded down), in cents,
 * its fee, and whether it is worth trading: its exact value, rounded down, is more than the fee (a sale leaves
 * the user something, and a buy does not charge a cent and a fee for a fraction of a cent's worth).
 */
function termsOf(exact: { num: bigint; den: bigint }, side: Side) {
  const notional = side === "buy" ? ceil(exact) : floor(exact);
  const fee = feeOf(notional);
  return { notional, fee, worthIt: floor(exact) > fee };
}
/** A fill at the live `priceCents` ± spread. */
const terms = (units: bigint, priceCents: bigint, side: Side) => termsOf(exactCents(units, priceCents, side), side);

/** A BTC amount as typed, one around the smallest worth its fee (about 31 satoshi), or one API.md rejects. */
const btcAmount = fc.oneof(
  { weight: 6, arbitrary: fc.bigInt({ min: 1n, max: 2_000_000n }).map((units) => formatAmount(units, 8)) },
  { weight: 1, arbitrary: fc.bigInt({ min: 1n, max: 60n }).map((units) => formatAmount(units, 8)) },
  { weight: 1, arbitrary: fc.constantFrom("1e3", "-1", "0", " 1", "0.000000001", "abc") },
);
const unitsOf = (amount: string, precision: number): bigint | null => {
  try {
    return parseAmount(amount, precision);
  } catch {
    return null;
  }
};

class DepositCommand implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly user: number,
    readonly cents: bigint,
  ) {}
  check = () => true;
  async run(model: Model, r: Real) {
    await deposit(r.clients[this.user], "USD", formatAmount(this.cents, 2));
    model.wallets[this.user].usd += this.cents;
  }
  toString = () => `deposit(${this.user}, ${formatAmount(this.cents, 2)})`;
}

class PriceCommand implements fc.AsyncCommand<Model, Real> {
  constructor(readonly cents: bigint) {}
  check = () => true;
  async run(model: Model) {
    model.priceCents = this.cents;
    publish(this.cents);
  }
  toString = () => `price(${formatAmount(this.cents, 2)})`;
}

class MarketCommand implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly user: number,
    readonly side: Side,
    readonly amount: string,
    readonly quoted: boolean,
  ) {}
  check = () => true;
  async run(model: Model, r: Real) {
    const client = r.clients[this.user];
    const body = { side: this.side, asset: "BTC", amount: this.amount };
    const units = unitsOf(this.amount, 8);
    let quoteId: string | undefined;
    if (this.quoted) {
      const quote = await client.json<{ quoteId: string; fee: string; totalUsd: string }>("POST", "/api/trading/quote", body);
      if (units === null) return expect(quote.status).toBe(422);
      const expected = terms(units, model.priceCents, this.side);
      if (!expected.worthIt) return expect(quote.status).toBe(422);
      expect(quote.body.fee).toBe(formatAmount(expected.fee, 2));
      quoteId = quote.body.quoteId;
    }
    const answer = await post(client, "/api/trading/orders", { type: "market", ...body, quoteId });
    if (units === null) return expect(answer.status).toBe(422);
    const { notional, fee, worthIt } = terms(units, model.priceCents, this.side);
    const wallet = model.wallets[this.user];
    if (!worthIt) return expect(await code(answer)).toBe("VALIDATION_FAILED");
    const affordable = this.side === "buy" ? wallet.usd >= notional + fee : wallet.btc >= units;
    if (!affordable) return expect(await code(answer)).toBe("INSUFFICIENT_FUNDS");
    expect(answer.status).toBe(201);
    if (this.side === "buy") {
      wallet.usd -= notional + fee;
      wallet.btc += units;
    } else {
      wallet.btc -= units;
      wallet.usd += notional - fee;
    }
  }
  toString = () => `market(${this.user}, ${this.side}, ${JSON.stringify(this.amount)}${this.quoted ? ", quoted" : ""})`;
}

/** Whether the price (± spread) has reached an order's: a limit trades at it or better, a stop triggers. */
function crosses(priceCents: bigint, o: Pick<Open, "type" | "side" | "triggerCents">): boolean {
  const buyAt = priceCents * (10_000n + SPREAD);
  const sellAt = priceCents * (10_000n - SPREAD);
  const at = o.triggerCents * 10_000n;
  if (o.type === "limit") return o.side === "buy" ? buyAt <= at : sellAt >= at;
  return o.side === "buy" ? buyAt >= at : sellAt <= at;
}

class PlaceCommand implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly user: number,
    readonly type: "limit" | "stop",
    readonly side: Side,
    readonly amount: string,
    readonly triggerCents: bigint,
  ) {}
  check = () => true;
  async run(model: Model, r: Real) {
    const field = this.type === "limit" ? "limitPrice" : "stopPrice";
    const answer = await post(r.clients[this.user], "/api/trading/orders", {
      type: this.type,
      side: this.side,
      asset: "BTC",
      amount: this.amount,
      [field]: formatAmount(this.triggerCents, 2),
    });
    const units = unitsOf(this.amount, 8);
    if (units === null) return expect(answer.status).toBe(422);
    // A stop the price has already reached would trigger at once: refused at placement.
    if (this.type === "stop" && crosses(model.priceCents, this)) return expect(await code(answer)).toBe("VALIDATION_FAILED");
    // Reserved at the order's own price, no spread: the price it is willing to trade at.
    const { notional, fee, worthIt } = termsOf({ num: units * this.triggerCents, den: BTC_UNIT }, this.side);
    if (!worthIt) return expect(await code(answer)).toBe("VALIDATION_FAILED");
    // A limit the market already meets trades at once, at the live price: it must be worth its fee at that price too.
    const tradesNow = this.type === "limit" && crosses(model.priceCents, this);
    if (tradesNow && !terms(units, model.priceCents, this.side).worthIt)
      return expect(await code(answer)).toBe("VALIDATION_FAILED");
    const held = this.side === "buy" ? notional + fee : units;
    const wallet = model.wallets[this.user];
    if ((this.side === "buy" ? wallet.usd : wallet.btc) < held) return expect(await code(answer)).toBe("INSUFFICIENT_FUNDS");
    expect(answer.status).toBe(201);
    const { order } = (await answer.json()) as { order: { id: string; status: string } };
    if (this.side === "buy") {
      wallet.usd -= held;
      wallet.usdHeld += held;
    } else {
      wallet.btc -= held;
      wallet.btcHeld += held;
    }
    const open: Open = { id: order.id, type: this.type, side: this.side, units, triggerCents: this.triggerCents, held };
    // A limit the market already meets trades at once, at the live price, from what it just held.
    if (tradesNow) {
      expect(order.status).toBe("filled");
      return fillHeld(model, wallet, open);
    }
    expect(order.status).toBe("open");
    model.open[this.user].push(open);
  }
  toString = () =>
    `${this.type}(${this.user}, ${this.side}, ${JSON.stringify(this.amount)} @ ${formatAmount(this.triggerCents, 2)})`;
}

function release(wallet: Wallet, order: Open) {
  if (order.side === "buy") {
    wallet.usdHeld -= order.held;
    wallet.usd += order.held;
  } else {
    wallet.btcHeld -= order.held;
    wallet.btc += order.held;
  }
}

class CancelCommand implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly user: number,
    readonly pick: number,
  ) {}
  check = (model: Readonly<Model>) => model.open[this.user].length > 0;
  async run(model: Model, r: Real) {
    const order = model.open[this.user][this.pick % model.open[this.user].length];
    const answer = await r.clients[this.user].json("DELETE", `/api/trading/orders/${order.id}`);
    expect(answer.status).toBe(200);
    release(model.wallets[this.user], order);
    model.open[this.user] = model.open[this.user].filter((o) => o !== order);
  }
  toString = () => `cancel(${this.user}, #${this.pick})`;
}

/** Runs the trigger worker once; the model fills what the price crosses, oldest first, as the worker does. */
class TriggerCommand implements fc.AsyncCommand<Model, Real> {
  check = () => true;
  async run(model: Model) {
    await runOrderTriggers(fixture.services.trading);
    const due = model.open.flatMap((orders, user) => orders.map((order) => ({ order, user })));
    // The worker takes orders oldest first. Each user's list is in creation order, and users' balances are
    // independent, so filling user by user gives the same balances.
    for (const { order, user } of due) {
      if (!crosses(model.priceCents, order)) continue;
      model.open[user] = model.open[user].filter((o) => o !== order);
      fillHeld(model, model.wallets[user], order);
    }
  }
  toString = () => "triggers()";
}

/** An open order the price has reached trades at the live price from what it holds (or is rejected, released). */
function fillHeld(model: Model, wallet: Wallet, order: Open) {
  const { notional, fee, worthIt } = terms(order.units, model.priceCents, order.side);
  if (!worthIt) return release(wallet, order);
  if (order.side === "buy") {
    if (notional + fee > order.held && wallet.usd < notional + fee - order.held) return release(wallet, order);
    wallet.usdHeld -= order.held;
    wallet.usd += order.held - notional - fee;
    wallet.btc += order.units;
  } else {
    wallet.btcHeld -= order.units;
    wallet.usd += notional - fee;
  }
}

async function assertMatches(model: Model, r: Real) {
  const report = await verifyLedger(fixture.deps.database.db);
  expect(report.problems).toEqual([]);
  for (const [i, client] of r.clients.entries()) {
    const { body } = await client.json<{ balances: { asset: string; available: string; held: string }[] }>(
      "GET",
      "/api/wallet/balance",
    );
    const of = (asset: string) => body.balances.find((b) => b.asset === asset);
    const wallet = model.wallets[i];
    expect({ user: i, usd: of("USD"), btc: of("BTC") }).toMatchObject({
      user: i,
      usd: { available: formatAmount(wallet.usd, 2), held: formatAmount(wallet.usdHeld, 2) },
      btc: { available: formatAmount(wallet.btc, 8), held: formatAmount(wallet.btcHeld, 8) },
    });
    const open = await client.json<{ items: { id: string }[] }>("GET", "/api/trading/orders?status=open&limit=100");
    expect(open.body.items.map((o) => o.id).sort()).toEqual(model.open[i].map((o) => o.id).sort());
  }
}

/** Starts each run from what the ledger holds, with no open orders. */
async function start(r: Real): Promise<Model> {
  const model: Model = { priceCents: 6_500_000n, wallets: [], open: [] };
  publish(model.priceCents);
  for (const client of r.clients) {
    const open = await client.json<{ items: { id: string }[] }>("GET", "/api/trading/orders?status=open&limit=100");
    for (const order of open.body.items) await client.json("DELETE", `/api/trading/orders/${order.id}`);
    const { body } = await client.json<{ balances: { asset: string; available: string; held: string }[] }>(
      "GET",
      "/api/wallet/balance",
    );
    const of = (asset: string) => body.balances.find((b) => b.asset === asset) as { available: string; held: string };
    const parse = (text: string, precision: number) => parseAmount(text, precision, { allowZero: true });
    model.wallets.push({
      usd: parse(of("USD").available, 2),
      usdHeld: parse(of("USD").held, 2),
      btc: parse(of("BTC").available, 8),
      btcHeld: parse(of("BTC").held, 8),
    });
    model.open.push([]);
  }
  return model;
}

describe("trading model", () => {
  test("random trading keeps the model, conservation and no negative balance; rounding never favours the user", async () => {
    const user = fc.integer({ min: 0, max: 1 });
    const side = fc.constantFrom<Side>("buy", "sell");
    const priceCents = fc.bigInt({ min: 5_500_000n, max: 7_500_000n });
    const commands = [
      fc.tuple(user, fc.bigInt({ min: 1n, max: 200_000n })).map(([u, c]) => new DepositCommand(u, c)),
      priceCents.map((c) => new PriceCommand(c)),
      fc.tuple(user, side, btcAmount, fc.boolean()).map(([u, s, a, q]) => new MarketCommand(u, s, a, q)),
      fc
        .tuple(user, fc.constantFrom<"limit" | "stop">("limit", "stop"), side, btcAmount, priceCents)
        .map(([u, t, s, a, p]) => new PlaceCommand(u, t, s, a, p)),
      fc.tuple(user, fc.nat()).map(([u, p]) => new CancelCommand(u, p)),
      fc.constant(new TriggerCommand()),
    ];
    await fc.assert(
      fc.asyncProperty(fc.commands(commands, { maxCommands: 25, size: "max" }), async (cmds) => {
        const model = await start(real);
        await fc.asyncModelRun(
          () => ({ model, real }),
          [...cmds].map((cmd) => wrap(cmd)),
        );
      }),
      { numRuns: 20, endOnFailure: true },
    );
  });
});

/** Checks after every single command; the price is re-published first so it never goes stale mid-run. */
function wrap(cmd: fc.AsyncCommand<Model, Real>): fc.AsyncCommand<Model, Real> {
  return {
    check: (m) => cmd.check(m),
    async run(m, r) {
      publish(m.priceCents);
      await cmd.run(m, r);
      await assertMatches(m, r);
    },
    toString: () => cmd.toString(),
  };
}
