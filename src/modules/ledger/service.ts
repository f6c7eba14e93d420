/**
 * The ledger: the only code that changes a balance. `post` moves money between accounts in one SQL
 * round trip (ledger_post); the rest opens accounts (with a zero balance), locks them or reads.
 */
import { and, eq, isNull, type SQL, sql } from "drizzle-orm";
import type { Db, DbOrTx } from "../../platform/db/client";
import { queryRows } from "../../platform/db/client";
import { databaseErrorOf } from "../../platform/db/errors";
import { AppError } from "../../platform/http/errors";
import type { Metrics } from "../../platform/observability/metrics";
import { ledgerAccounts, ledgerTransfers } from "./schema";

export type AccountKind = "available" | "held" | "external" | "fees" | "house";
export type AccountKey = { ownerId: string | null; asset: string; kind: AccountKind };
/** `amount` (> 0, minor units) of one asset from one account to another. */
export type Leg = { from: AccountKey; to: AccountKey; amount: bigint };
export type Posting = { kind: string; legs: Leg[]; idempotencyKey?: string };

export const userAccount = (ownerId: string, asset: string, kind: "available" | "held"): AccountKey => ({ ownerId, asset, kind });
export const systemAccount = (asset: string, kind: "external" | "fees" | "house"): AccountKey => ({ ownerId: null, asset, kind });

const keyOf = (k: AccountKey) => `${k.ownerId ?? "system"}/${k.asset}/${k.kind}`;

const insufficientFunds = (asset?: string) =>
  new AppError(422, "INSUFFICIENT_FUNDS", `Not enough available balance${asset ? ` of ${asset}` : ""}`);

/** The CHECK or UNIQUE constraint a database error broke, if that is what it is. */
function brokenConstraint(error: unknown): string | undefined {
  const failure = databaseErrorOf(error);
  return failure?.code === "23514" || failure?.code === "23505" ? failure.constraint : undefined;
}

/**
 * 422 IDEMPOTENCY_KEY_REUSED for a key that moved money before and whose stored answer is gone (kept 24 h):
 * ARCHITECTURE.md's invariant 5, one key moves money at most once, ever. ledger_post refuses it too.
 */
export const keyMovedMoneyBefore = () =>
  new AppError(
    422,
    "IDEMPOTENCY_KEY_REUSED",
    "This Idempotency-Key already moved money, more than 24 hours ago (its answer is no longer kept); send a new key",
  );

/**
 * Whether a posting was made under `ledgerKey`, as one SQL boolean, for a caller that reads it with its other
 * facts; `refuseSpentKey` asks it alone.
 */
export const movedMoneyUnderSql = (ledgerKey: string) =>
  sql`exists (select 1 from ${ledgerTransfers} where ${ledgerTransfers.idempotencyKey} = ${ledgerKey})`;

function whereKeys(keys: AccountKey[]) {
  return sql.join(
    keys.map((k) =>
      and(
        k.ownerId === null ? isNull(ledgerAccounts.ownerId) : eq(ledgerAccounts.ownerId, k.ownerId),
        eq(ledgerAccounts.asset, k.asset),
        eq(ledgerAccounts.kind, k.kind),
      ),
    ),
    sql` or `,
  );
}

/** A Postgres array literal of whole numbers (`{1,2,3}`), sent as one parameter and cast where it is used. */
const pgArray = (values: (number | bigint)[]) => `{${values.join(",")}}`;

export function createLedger(metrics?: Metrics) {
  /** Account ids never change once committed, so they are cached for the life of the process. */
  const ids = new Map<string, number>();

  async function load(db: DbOrTx, keys: AccountKey[]) {
    const rows = await db
      .select({ id: ledgerAccounts.id, ownerId: ledgerAccounts.ownerId, asset: ledgerAccounts.asset, kind: ledgerAccounts.kind })
      .from(ledgerAccounts)
      .where(whereKeys(keys));
    for (const row of rows) ids.set(keyOf(row), row.id);
  }

  /** The ids of accounts that are open; throws if one is not (open it with openAccounts first). */
  async function accountIds(db: DbOrTx, keys: AccountKey[]): Promise<Map<string, number>> {
    const missing = keys.filter((k) => !ids.has(keyOf(k)));
    if (missing.length) await load(db, missing);
    const stillMissing = keys.filter((k) => !ids.has(keyOf(k)));
    if (stillMissing.length) throw new Error(`ledger: accounts not open: ${stillMissing.map(keyOf).join(", ")}`);
    return ids;
  }

  /**
   * For a database function that posts as part of a larger write (p2p_send): resolves the accounts and
   * hands `run` ledger_post's six arguments, in its order, to pass on; the rules of `post` apply.
   * `posted` tells from `run`'s result whether the function did post (it may decline, e.g. a replay).
   */
  async function postWithin<T>(
    db: DbOrTx,
    posting: Posting,
    run: (ledgerPostArgs: SQL) => Promise<T>,
    posted: (result: T) => boolean = () => true,
  ): Promise<{ postingId: string; rows: T }> {
    const legs = posting.legs.filter((leg) => leg.amount !== 0n);
    if (legs.length === 0 || legs.some((leg) => leg.amount < 0n)) throw new Error("ledger.post: legs must be positive");
    const resolved = await accountIds(
      db,
      legs.flatMap((leg) => [leg.from, leg.to]),
    );
    const postingId = crypto.randomUUID();
    try {
      const rows = await run(
        sql`${postingId}::uuid, ${posting.kind}, ${pgArray(legs.map((l) => resolved.get(keyOf(l.from)) as number))}::bigint[],
          ${pgArray(legs.map((l) => resolved.get(keyOf(l.to)) as number))}::bigint[], ${pgArray(legs.map((l) => l.amount))}::numeric[],
          ${posting.idempotencyKey ?? null}`,
      );
      if (posted(rows)) metrics?.ledgerTransfers.inc(legs.length);
      return { postingId, rows };
    } catch (error) {
      const constraint = brokenConstraint(error);
      if (constraint === "ledger_accounts_non_negative") {
        // Named only when every leg takes from one asset: of a fill's legs in two, the error does not say which ran short.
        const assets = new Set(legs.map((leg) => leg.from.asset));
        throw insufficientFunds(assets.size === 1 ? legs[0].from.asset : undefined);
      }
      if (constraint === "ledger_transfers_idempotency_key_once") throw keyMovedMoneyBefore();
      throw error;
    }
  }

  return {
    postWithin,

    /** 422 IDEMPOTENCY_KEY_REUSED when a posting was ever made under `ledgerKey` (`<user id>:<Idempotency-Key>`). */
    async refuseSpentKey(db: DbOrTx, ledgerKey: string): Promise<void> {
      const [row] = await queryRows<{ moved: boolean }>(db, sql`select ${movedMoneyUnderSql(ledgerKey)} as moved`);
      if (row.moved) throw keyMovedMoneyBefore();
    },

    /**
     * Opens accounts (idempotent) in their own committed statement, before the caller's transaction:
     * an id is cached only once its row is committed, so a rolled-back transaction leaves no ghost ids.
     */
    async openAccounts(db: Db, keys: AccountKey[]): Promise<void> {
      const missing = keys.filter((k) => !ids.has(keyOf(k)));
      if (missing.length === 0) return;
      await db.insert(ledgerAccounts).values(missing).onConflictDoNothing();
      await load(db, missing);
    },

    /**
     * Locks open accounts now, in id order as ledger_post does. A transaction that posts more than once locks
     * every account of all its postings first: otherwise it would hold the first posting's accounts while it
     * waits for the second's, which a concurrent posting may hold while it waits for the first's (a deadlock).
     */
    async lockAccounts(tx: DbOrTx, keys: AccountKey[]): Promise<void> {
      const resolved = await accountIds(tx, keys);
      const accounts = pgArray(keys.map((k) => resolved.get(keyOf(k)) as number));
      await tx.execute(sql`select 1 from ledger_accounts where id = any(${accounts}::bigint[]) order by id for update`);
    },

    /**
     * Posts every leg atomically (all or none). Throws 422 INSUFFICIENT_FUNDS when a user account would
     * go below zero; the caller's transaction is then rolled back with everything else it did.
     */
    async post(tx: DbOrTx, posting: Posting): Promise<{ postingId: string; balances: Balance[] }> {
      const { postingId, rows } = await postWithin(tx, posting, (args) =>
        queryRows<{ owner_id: string; asset: string; kind: string; balance: string }>(
          tx,
          sql`select * from ledger_post(${args})`,
        ),
      );
      return { postingId, balances: balancesFromRows(rows) };
    },
  };
}

/** Per user and asset, from (owner, asset, kind, balance) rows. */
function balancesFromRows(rows: { owner_id: string; asset: string; kind: string; balance: string }[]): Balance[] {
  const byOwnerAsset = new Map<string, Balance>();
  for (const row of rows) {
    const key = `${row.owner_id}/${row.asset}`;
    const balance = byOwnerAsset.get(key) ?? { ownerId: row.owner_id, asset: row.asset, available: 0n, held: 0n };
    if (row.kind === "available") balance.available = BigInt(row.balance);
    else balance.held = BigInt(row.balance);
    byOwnerAsset.set(key, balance);
  }
  return [...byOwnerAsset.values()];
}

export type Ledger = ReturnType<typeof createLedger>;

export type Balance = { ownerId?: string; asset: string; available: bigint; held: bigint };

/**
 * A user's available balance of one asset as one SQL expression (text, "0" without an account), for a
 * caller that reads it in the same statement as its other facts.
 */
export const availableBalanceSql = (ownerId: string, asset: string) =>
  sql`coalesce((select balance from ${ledgerAccounts} where owner_id = ${ownerId} and asset = ${asset} and kind = 'available'), 0)::text`;

/**
 * 422 INSUFFICIENT_FUNDS when `available` (read before the write) cannot cover `units`: the first business
 * rule of API.md's order, so a request that also passes a limit is told what it lacks first. The ledger's
 * CHECK stays the guard against a balance that changes after the read.
 */
export function assertAvailable(asset: string, available: bigint, units: bigint): void {
  if (units > available) throw insufficientFunds(asset);
}

/** The user's balance of each of `assets`, zeros included. */
export async function userBalances(db: DbOrTx, userId: string, assets: string[]): Promise<Balance[]> {
  const rows = await db
    .select({ asset: ledgerAccounts.asset, kind: ledgerAccounts.kind, balance: ledgerAccounts.balance })
    .from(ledgerAccounts)
    .where(eq(ledgerAccounts.ownerId, userId));
  return assets.map((asset) => ({
    asset,
    available: rows.find((r) => r.asset === asset && r.kind === "available")?.balance ?? 0n,
    held: rows.find((r) => r.asset === asset && r.kind === "held")?.balance ?? 0n,
  }));
}
