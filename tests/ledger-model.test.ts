/**
 * Model-based property test: random sequences of money commands through the real API, checked after
 * every command against an in-memory model and the five ledger invariants.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import fc from "fast-check";
import { verifyLedger } from "../src/modules/ledger/verify";
import { runPayouts } from "../src/modules/wallet/payouts";
import { sandboxPayoutProvider } from "../src/modules/wallet/providers";
import { formatAmount, parseAmount } from "../src/platform/money";
import { createLogger } from "../src/platform/observability/logger";
import { adminUser, deposit, signedInUser, type TestClient } from "./support/client";
import { createTestApp } from "./support/harness";

setDefaultTimeout(240_000);

const IBAN = "DE89370400440532013000";
const FEE = 150n; // WITHDRAWAL_FEES USD:1.50
const AML_REVIEW = 100_000n; // 1000 USD in cents
const WITHDRAWAL_REVIEW = 50_000n;

type Pending = { id: string; user: number; units: bigint; kind: "withdrawal" | "transfer"; to?: number };
type Model = { available: bigint[]; held: bigint[]; pending: Pending[]; processing: Pending[] };
type Real = { users: { client: TestClient; email: string; userId: string }[]; admin: TestClient };

let fixture: Awaited<ReturnType<typeof createTestApp>>;
let real: Real;
beforeAll(async () => {
  fixture = await createTestApp({
    TRUST_PROXY: "true",
    RATE_LIMIT_PER_MINUTE: "100000",
    ADDRESS_COOLDOWN_HOURS: "0",
    AML_REVIEW_THRESHOLD_USD: "1000",
    WITHDRAWAL_REVIEW_THRESHOLD_USD: "500",
    P2P_DAILY_LIMIT_USD: "100000000",
    WITHDRAWAL_DAILY_LIMIT_USD: "100000000",
    WITHDRAWAL_FEES: "USD:1.50",
  });
  const users = [];
  for (const label of ["model-a", "model-b", "model-c"]) {
    const user = await signedInUser(fixture, label);
    await user.client.json("POST", "/api/wallet/addresses", { asset: "USD", address: IBAN, label: "bank" });
    users.push(user);
  }
  const admin = await adminUser(fixture, "model-admin");
  real = { users, admin: admin.client };
});
afterAll(() => fixture.dispose());

const post = (client: TestClient, path: string, body?: unknown) =>
  client.request("POST", path, { body, headers: { "idempotency-key": crypto.randomUUID() } });
const code = async (response: Response) => ((await response.json()) as { error?: { code: string } }).error?.code;

/** A valid amount (as a person types it) or one from API.md's rejection list. */
const amountArb = fc.oneof(
  { weight: 4, arbitrary: fc.bigInt({ min: 1n, max: 250_000n }).map((cents) => formatAmount(cents, 2)) },
  {
    weight: 1,
    arbitrary: fc
      .bigInt({ min: 1n, max: 250_000n })
      .map((cents) => (cents % 100n === 0n ? `${cents / 100n}.00` : formatAmount(cents, 2))),
  },
  // Around a withdrawal's fee (1.50), which a withdrawal must be larger than.
  { weight: 1, arbitrary: fc.bigInt({ min: 1n, max: 300n }).map((cents) => formatAmount(cents, 2)) },
  { weight: 1, arbitrary: fc.constantFrom("1e3", "-1", "0", " 1", "1,5", "0x10", "1.001", "", "abc") },
);
const unitsOf = (amount: string): bigint | null => {
  try {
    return parseAmount(amount, 2);
  } catch {
    return null;
  }
};

class DepositCommand implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly user: number,
    readonly amount: string,
  ) {}
  check = () => true;
  async run(model: Model, r: Real) {
    const units = unitsOf(this.amount);
    if (units === null) {
      const answer = await post(r.users[this.user].client, "/api/wallet/deposit/create", { asset: "USD", amount: this.amount });
      expect(answer.status).toBe(422);
      return;
    }
    await deposit(r.users[this.user].client, "USD", this.amount);
    model.available[this.user] += units;
  }
  toString = () => `deposit(${this.user}, ${JSON.stringify(this.amount)})`;
}

class P2pCommand implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly from: number,
    readonly to: number,
    readonly amount: string,
  ) {}
  check = () => true;
  async run(model: Model, r: Real) {
    const answer = await post(r.users[this.from].client, "/api/transfers/p2p", {
      recipientEmail: r.users[this.to].email,
      asset: "USD",
      amount: this.amount,
    });
    const units = unitsOf(this.amount);
    if (units === null) return expect(answer.status).toBe(422);
    if (this.from === this.to) return expect(await code(answer)).toBe("SELF_TRANSFER");
    if (units > model.available[this.from]) return expect(await code(answer)).toBe("INSUFFICIENT_FUNDS");
    expect(answer.status).toBe(201);
    const { transfer } = (await answer.json()) as { transfer: { id: string; status: string } };
    model.available[this.from] -= units;
    if (units > AML_REVIEW) {
      expect(transfer.status).toBe("pending_review");
      model.held[this.from] += units;
      model.pending.push({ id: transfer.id, user: this.from, to: this.to, units, kind: "transfer" });
    } else {
      expect(transfer.status).toBe("completed");
      model.available[this.to] += units;
    }
  }
  toString = () => `p2p(${this.from} → ${this.to}, ${JSON.stringify(this.amount)})`;
}

class WithdrawCommand implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly user: number,
    readonly amount: string,
  ) {}
  check = () => true;
  async run(model: Model, r: Real) {
    const answer = await post(r.users[this.user].client, "/api/wallet/withdraw", {
      asset: "USD",
      amount: this.amount,
      address: IBAN,
    });
    const units = unitsOf(this.amount);
    if (units === null) return expect(answer.status).toBe(422);
    // No larger than its fee: refused, nothing held.
    if (units <= FEE) return expect(await code(answer)).toBe("VALIDATION_FAILED");
    if (units + FEE > model.available[this.user]) return expect(await code(answer)).toBe("INSUFFICIENT_FUNDS");
    expect(answer.status).toBe(202);
    const { withdrawal } = (await answer.json()) as { withdrawal: { id: string; status: string } };
    model.available[this.user] -= units + FEE;
    model.held[this.user] += units + FEE;
    const pending: Pending = { id: withdrawal.id, user: this.user, units: units + FEE, kind: "withdrawal" };
    if (units > WITHDRAWAL_REVIEW) {
      expect(withdrawal.status).toBe("pending_review");
      model.pending.push(pending);
    } else {
      expect(withdrawal.status).toBe("processing");
      model.processing.push(pending);
    }
  }
  toString = () => `withdraw(${this.user}, ${JSON.stringify(this.amount)})`;
}

/** An admin decides the n-th pending item, or its owner (a withdrawal's, a transfer's sender) cancels it. */
class DecideCommand implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly pick: number,
    readonly decision: "approve" | "reject" | "cancel",
  ) {}
  check = (model: Readonly<Model>) => model.pending.length > 0;
  async run(model: Model, r: Real) {
    const item = model.pending[this.pick % model.pending.length];
    const { decision } = this;
    const path =
      decision === "cancel"
        ? item.kind === "withdrawal"
          ? `/api/wallet/withdrawals/${item.id}/cancel`
          : `/api/transfers/${item.id}/cancel`
        : `/api/admin/${item.kind === "withdrawal" ? "withdrawals" : "transfers"}/${item.id}/${decision}`;
    const answer = await (decision === "cancel" ? r.users[item.user].client : r.admin).json("POST", path);
    expect(answer.status).toBe(200);
    model.pending = model.pending.filter((p) => p !== item);
    if (decision === "approve" && item.kind === "withdrawal") {
      model.processing.push(item);
      return;
    }
    model.held[item.user] -= item.units;
    if (decision === "approve") model.available[item.to as number] += item.units;
    else model.available[item.user] += item.units;
  }
  toString = () => `${this.decision}(#${this.pick})`;
}

/**
 * An admin stops the n-th approved withdrawal the payout worker has not sent yet: the owner frozen (which holds
 * it back), it is rejected and its funds come back, and the owner is unfrozen.
 */
class RejectApprovedCommand implements fc.AsyncCommand<Model, Real> {
  constructor(readonly pick: number) {}
  check = (model: Readonly<Model>) => model.processing.length > 0;
  async run(model: Model, r: Real) {
    const item = model.processing[this.pick % model.processing.length];
    const owner = r.users[item.user].userId;
    expect((await r.admin.json("POST", `/api/admin/users/${owner}/freeze`)).status).toBe(200);
    const answer = await r.admin.json("POST", `/api/admin/withdrawals/${item.id}/reject`);
    expect((await r.admin.json("POST", `/api/admin/users/${owner}/unfreeze`)).status).toBe(200);
    expect(answer.status).toBe(200);
    model.processing = model.processing.filter((p) => p !== item);
    model.held[item.user] -= item.units;
    model.available[item.user] += item.units;
  }
  toString = () => `rejectApproved(#${this.pick})`;
}

class PayoutCommand implements fc.AsyncCommand<Model, Real> {
  check = () => true;
  async run(model: Model) {
    await runPayouts(fixture.services.money, sandboxPayoutProvider, createLogger("silent"), 1000);
    for (const item of model.processing) model.held[item.user] -= item.units;
    model.processing = [];
  }
  toString = () => "payouts()";
}

async function assertMatches(model: Model, r: Real) {
  const report = await verifyLedger(fixture.deps.database.db);
  expect(report.problems).toEqual([]);
  for (const [i, user] of r.users.entries()) {
    const { body } = await user.client.json<{ balances: { asset: string; available: string; held: string }[] }>(
      "GET",
      "/api/wallet/balance",
    );
    const usd = body.balances.find((b) => b.asset === "USD");
    expect({ user: i, available: usd?.available, held: usd?.held }).toEqual({
      user: i,
      available: formatAmount(model.available[i], 2),
      held: formatAmount(model.held[i], 2),
    });
  }
}

describe("ledger model", () => {
  test("random deposits, transfers, withdrawals and decisions keep the model and every invariant", async () => {
    const user = fc.integer({ min: 0, max: 2 });
    const commands = [
      fc.tuple(user, amountArb).map(([u, a]) => new DepositCommand(u, a)),
      fc.tuple(user, user, amountArb).map(([f, t, a]) => new P2pCommand(f, t, a)),
      fc.tuple(user, amountArb).map(([u, a]) => new WithdrawCommand(u, a)),
      fc
        .tuple(fc.nat(), fc.constantFrom("approve" as const, "reject" as const, "cancel" as const))
        .map(([p, d]) => new DecideCommand(p, d)),
      fc.nat().map((p) => new RejectApprovedCommand(p)),
      fc.constant(new PayoutCommand()),
    ];
    // Balances carry over between runs, so the model starts from what the ledger holds.
    const start = async (): Promise<Model> => {
      // Pay out what a previous run left processing; its pending reviews stay held and untouched.
      await runPayouts(fixture.services.money, sandboxPayoutProvider, createLogger("silent"), 1000);
      const model: Model = { available: [], held: [], pending: [], processing: [] };
      for (const u of real.users) {
        const { body } = await u.client.json<{ balances: { asset: string; available: string; held: string }[] }>(
          "GET",
          "/api/wallet/balance",
        );
        const usd = body.balances.find((b) => b.asset === "USD");
        model.available.push(parseAmount(usd?.available ?? "0", 2, { allowZero: true }));
        model.held.push(parseAmount(usd?.held ?? "0", 2, { allowZero: true }));
      }
      return model;
    };
    await fc.assert(
      fc.asyncProperty(fc.commands(commands, { maxCommands: 30, size: "max" }), async (cmds) => {
        const model = await start();
        await fc.asyncModelRun(
          () => ({ model, real }),
          [...cmds].map((cmd) => wrap(cmd)),
        );
        await assertMatches(model, real);
      }),
      { numRuns: 25, endOnFailure: true },
    );
  });
});

/** Checks the model and the invariants after every single command, not just at the end of a run. */
function wrap(cmd: fc.AsyncCommand<Model, Real>): fc.AsyncCommand<Model, Real> {
  return {
    check: (m) => cmd.check(m),
    async run(m, r) {
      await cmd.run(m, r);
      await assertMatches(m, r);
    },
    toString: () => cmd.toString(),
  };
}
