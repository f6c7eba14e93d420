/**
 * The five invariants of ARCHITECTURE.md, checked against the database as it is. Used by
 * `bun run cli ledger:verify` and GET /api/admin/ledger/reconcile; every violation is named.
 * Sums and chains alone can be kept whole by someone who rewrites a transfer's entries and both chains after
 * them, so each transfer is also checked against its own entries (double entry), and the guards are checked by
 * trying what they refuse, in a savepoint that is always rolled back.
 */
import { type SQL, sql } from "drizzle-orm";
import { type DbOrTx, queryRows } from "../../platform/db/client";
import { databaseErrorOf } from "../../platform/db/errors";

export type AssetSummary = { asset: string; sumOfBalances: bigint; accounts: number; transfers: number };
export type LedgerProblem = {
  invariant: 1 | 2 | 3 | 4 | 5;
  message: string;
  accountId?: number;
  transferId?: number;
  asset?: string;
};
/**
 * `untried`: guards that could not be tried here (a read-only database or role), which `ok` does not cover;
 * `refusing`: the guards in place that were tried and refused, of `guards` in all.
 */
export type LedgerReport = {
  ok: boolean;
  assets: AssetSummary[];
  problems: LedgerProblem[];
  untried: string[];
  guards: { all: number; refusing: number };
};

/** How a problem names an amount; without the configuration's precisions, minor units as stored. */
type AmountText = (units: bigint, asset: string) => string;
const minorUnits: AmountText = (units, asset) => `${units} (minor units of ${asset})`;

export async function verifyLedger(db: DbOrTx, amountText: AmountText = minorUnits): Promise<LedgerReport> {
  const assets = await queryRows<{ asset: string; sum: string; accounts: number; transfers: number }>(
    db,
    sql`select a.asset, sum(a.balance)::text as sum, count(*)::int as accounts,
          (select count(*)::int from ledger_transfers t where t.asset = a.asset) as transfers
        from ledger_accounts a group by a.asset order by a.asset`,
  );
  const guards = await unguarded(db);
  const problems: LedgerProblem[] = [
    ...sumsNotZero(assets, amountText),
    ...(await unbalancedTransfers(db, amountText)),
    ...(await negativeAccounts(db, amountText)),
    ...(await brokenChains(db, amountText)),
    ...guards.problems,
    ...(await keysReused(db)),
  ];
  return {
    ok: problems.length === 0,
    assets: assets.map((row) => ({
      asset: row.asset,
      sumOfBalances: BigInt(row.sum),
      accounts: row.accounts,
      transfers: row.transfers,
    })),
    problems,
    untried: guards.untried,
    guards: { all: GUARDS.length, refusing: guards.refusing },
  };
}

/** The report's violations and untried guards, a line each, as `ledger:verify` prints them. */
export function ledgerFindings(report: LedgerReport): string[] {
  return [
    ...report.problems.map((problem) => `VIOLATION invariant ${problem.invariant}: ${problem.message}`),
    ...report.untried.map((guard) => `NOT TRIED invariant 4: ${guard}`),
  ];
}

/** 1. Per asset, the sum of all balances is zero. */
function sumsNotZero(assets: { asset: string; sum: string }[], amountText: AmountText): LedgerProblem[] {
  return assets
    .filter((row) => BigInt(row.sum) !== 0n)
    .map((row) => ({
      invariant: 1,
      asset: row.asset,
      message: `${row.asset}: balances sum to ${amountText(BigInt(row.sum), row.asset)}, not 0`,
    }));
}

/**
 * 1, transfer by transfer (double entry): each transfer has exactly two entries, minus its amount on its debit
 * account and plus its amount on its credit account, both accounts of its asset; and no entry is without one.
 */
async function unbalancedTransfers(db: DbOrTx, amountText: AmountText): Promise<LedgerProblem[]> {
  const rows = await queryRows<{ id: number; asset: string; amount: string; entries: number; orphan: boolean }>(
    db,
    sql`select t.id::int as id, t.asset, t.amount::text as amount, count(e.id)::int as entries, false as orphan
        from ledger_transfers t
        left join ledger_accounts d on d.id = t.debit_account_id
        left join ledger_accounts c on c.id = t.credit_account_id
        left join ledger_entries e on e.transfer_id = t.id
        group by t.id, d.asset, c.asset
        having count(e.id) <> 2 or d.asset is distinct from t.asset or c.asset is distinct from t.asset or t.amount <= 0
          or count(*) filter (where e.account_id = t.debit_account_id and e.amount = -t.amount) <> 1
          or count(*) filter (where e.account_id = t.credit_account_id and e.amount = t.amount) <> 1
        union all
        select e.transfer_id::int, a.asset, e.amount::text, 1, true
        from ledger_entries e join ledger_accounts a on a.id = e.account_id
        where not exists (select from ledger_transfers t where t.id = e.transfer_id)
        order by id`,
  );
  return rows.map((row) => ({
    invariant: 1,
    transferId: row.id,
    asset: row.asset,
    message: row.orphan
      ? `transfer ${row.id} does not exist, but an entry of ${amountText(BigInt(row.amount), row.asset)} names it`
      : `transfer ${row.id} of ${amountText(BigInt(row.amount), row.asset)}: its ${row.entries} entries are not exactly that amount out of its debit account and into its credit account, both of its asset`,
  }));
}

/**
 * 2. No account the CHECK guards (users' and the fees accounts) is negative, now or at any entry of its history;
 * and the CHECK itself is in force.
 */
async function negativeAccounts(db: DbOrTx, amountText: AmountText): Promise<LedgerProblem[]> {
  const rows = await queryRows<{ id: number; asset: string; balance: string; version: number | null }>(
    db,
    sql`select id::int as id, asset, balance::text as balance, null::int as version from ledger_accounts
        where kind not in ('external', 'house') and balance < 0
        union all
        select a.id::int, a.asset, e.balance_after::text, e.version from ledger_entries e join ledger_accounts a on a.id = e.account_id
        where a.kind not in ('external', 'house') and e.balance_after < 0
        order by id, version nulls first`,
  );
  const problems: LedgerProblem[] = rows.map((row) => ({
    invariant: 2,
    accountId: row.id,
    asset: row.asset,
    message:
      row.version === null
        ? `account ${row.id} (${row.asset}) is negative: ${amountText(BigInt(row.balance), row.asset)}`
        : `account ${row.id} (${row.asset}) was negative after its entry version ${row.version}: ${amountText(BigInt(row.balance), row.asset)}`,
  }));
  const [check] = await queryRows<{ valid: boolean }>(
    db,
    sql`select exists (select from pg_constraint where conrelid = 'ledger_accounts'::regclass
          and conname = 'ledger_accounts_non_negative' and convalidated) as valid`,
  );
  if (!check.valid)
    problems.push({ invariant: 2, message: "constraint ledger_accounts_non_negative is missing or not validated" });
  return problems;
}

/** 3. Every account's entries form a gapless chain 1..n, previous + amount = next, ending at its balance and version. */
async function brokenChains(db: DbOrTx, amountText: AmountText): Promise<LedgerProblem[]> {
  const breaks = await queryRows<{
    id: number;
    asset: string;
    version: number;
    due: number;
    balance: string;
    expected: string;
  }>(
    db,
    sql`with e as (
          select account_id, version, balance_after,
                 row_number() over w as due,
                 coalesce(lag(balance_after) over w, 0) + amount as expected
          from ledger_entries window w as (partition by account_id order by version))
        select e.account_id::int as id, a.asset, e.version::int as version, e.due::int as due,
               e.balance_after::text as balance, e.expected::text as expected
        from e join ledger_accounts a on a.id = e.account_id
        where e.version <> e.due or e.balance_after <> e.expected
        order by e.account_id, e.version`,
  );
  const problems: LedgerProblem[] = breaks.map((row) => ({
    invariant: 3,
    accountId: row.id,
    asset: row.asset,
    message:
      row.version !== row.due
        ? `account ${row.id}: its entry number ${row.due} has version ${row.version} (an entry is missing or repeated)`
        : `account ${row.id}: entry version ${row.version} says ${amountText(BigInt(row.balance), row.asset)} after it, but the previous balance plus its amount is ${amountText(BigInt(row.expected), row.asset)}`,
  }));
  const mismatched = await queryRows<{
    id: number;
    asset: string;
    balance: string;
    last: string;
    version: number;
    lastVersion: number;
  }>(
    db,
    sql`select a.id::int as id, a.asset, a.balance::text as balance, coalesce(last.balance_after, 0)::text as last,
          a.version::int as version, coalesce(last.version, 0)::int as "lastVersion"
        from ledger_accounts a
        left join lateral (select balance_after, version from ledger_entries where account_id = a.id order by version desc limit 1) last on true
        where a.balance <> coalesce(last.balance_after, 0) or a.version <> coalesce(last.version, 0)`,
  );
  for (const row of mismatched) {
    const [balance, last] = [amountText(BigInt(row.balance), row.asset), amountText(BigInt(row.last), row.asset)];
    problems.push({
      invariant: 3,
      accountId: row.id,
      asset: row.asset,
      message: `account ${row.id}: balance ${balance} at version ${row.version}, but its last entry says ${last} at version ${row.lastVersion}`,
    });
  }
  return problems;
}

type Guard = { what: string; trigger: string; table: string; attempt?: SQL };

/** An append-only table's row trigger, tried on its oldest row (never one a posting in flight has just written). */
function appendOnly(table: "ledger_transfers" | "ledger_entries", op: "UPDATE" | "DELETE"): Guard {
  const oldest = `where id = (select min(id) from ${table}) returning 1`;
  const attempt = op === "UPDATE" ? `update ${table} set amount = amount + 1 ${oldest}` : `delete from ${table} ${oldest}`;
  return { what: `${table} refuses ${op}`, trigger: `${table}_append_only`, table, attempt: sql.raw(attempt) };
}

/** An append-only table's TRUNCATE trigger, only looked up: trying it would lock the whole table until the rollback. */
const noTruncate = (table: "ledger_transfers" | "ledger_entries"): Guard => ({
  what: `${table} refuses TRUNCATE`,
  trigger: `${table}_no_truncate`,
  table,
});

/** The guards that keep the ledger's history as written, each with what it must refuse. */
const GUARDS: Guard[] = [
  appendOnly("ledger_transfers", "UPDATE"),
  appendOnly("ledger_transfers", "DELETE"),
  appendOnly("ledger_entries", "UPDATE"),
  appendOnly("ledger_entries", "DELETE"),
  {
    what: "ledger_accounts keep their owner",
    trigger: "ledger_accounts_identity_fixed",
    table: "ledger_accounts",
    // An account no posting holds at the moment, so the attempt waits for nobody.
    attempt: sql`update ledger_accounts set owner_id = gen_random_uuid() where id =
      (select id from ledger_accounts where owner_id is not null order by id limit 1 for update skip locked) returning 1`,
  },
  noTruncate("ledger_transfers"),
  noTruncate("ledger_entries"),
];

/** What the guards' refusals say (drizzle/0005 and 0030): a permission the role lacks is 42501 too, and is no refusal. */
const GUARD_REFUSAL = /is append-only: (UPDATE|DELETE) refused|keeps its owner, asset and kind/;

/**
 * 4. Transfers and entries are append-only, and accounts keep their owner: each guard is there, enabled, and
 * refuses. A guard that could not be tried (a read-only database or role) is listed as untried, not as a violation.
 */
async function unguarded(db: DbOrTx): Promise<{ problems: LedgerProblem[]; untried: string[]; refusing: number }> {
  const enabled = await queryRows<{ trigger: string; table: string }>(
    db,
    sql`select t.tgname as trigger, c.relname as table from pg_trigger t join pg_class c on c.oid = t.tgrelid
        where not t.tgisinternal and t.tgenabled <> 'D'`,
  );
  const problems: LedgerProblem[] = [];
  const untried: string[] = [];
  let refusing = 0;
  for (const guard of GUARDS) {
    if (!enabled.some((t) => t.trigger === guard.trigger && t.table === guard.table)) {
      problems.push({
        invariant: 4,
        message: `${guard.what}: trigger ${guard.trigger} on ${guard.table} is missing or disabled`,
      });
      continue;
    }
    if (!guard.attempt) continue;
    const attempted = await tryInRollback(db, guard.attempt);
    if (attempted.outcome === "refused") refusing++;
    if (attempted.outcome === "accepted") {
      problems.push({ invariant: 4, message: `${guard.what}: trigger ${guard.trigger} is enabled but let the change through` });
    } else if (attempted.outcome === "untried" && attempted.why) {
      untried.push(`${guard.what}: not tried, ${attempted.why}`);
    }
  }
  return { problems, untried, refusing };
}

/** What a guard did with an attempt: refused it, let it through, or was not tried (`why`; none: no row to try it on). */
type Attempted = { outcome: "refused" | "accepted" } | { outcome: "untried"; why?: string };

/** Thrown to roll an attempt back whatever it did, carrying what it did. */
class RolledBack extends Error {
  constructor(readonly attempted: Attempted) {
    super(attempted.outcome);
  }
}

/** Runs `attempt` in a (sub)transaction that is always rolled back, and says what the guard did with it. */
async function tryInRollback(db: DbOrTx, attempt: SQL): Promise<Attempted> {
  try {
    await db.transaction(async (tx) => {
      await tx.execute(sql`set local lock_timeout = '5s'`);
      let attempted: Attempted;
      try {
        attempted = (await queryRows(tx, attempt)).length > 0 ? { outcome: "accepted" } : { outcome: "untried" };
      } catch (error) {
        attempted = judgeRefusal(error);
      }
      throw new RolledBack(attempted);
    });
  } catch (error) {
    if (error instanceof RolledBack) return error.attempted;
    throw error;
  }
  throw new Error("tryInRollback: the attempt was not rolled back");
}

/** What an attempt's error says of its guard. */
function judgeRefusal(error: unknown): Attempted {
  const failure = databaseErrorOf(error);
  if (!failure) throw error;
  const { code, message } = failure;
  if (code === "42501" && GUARD_REFUSAL.test(message)) return { outcome: "refused" };
  if (code === "42501") return { outcome: "untried", why: `the database role may not write (${message})` };
  if (code === "25006") return { outcome: "untried", why: "the database is read-only" };
  if (code === "55P03") return { outcome: "untried", why: "a posting held the row for over 5 s" };
  // Let through to another constraint (class 23), which stopped it.
  if (code.startsWith("23")) return { outcome: "accepted" };
  throw new Error(`ledger:verify: trying a guard failed: ${code} ${message}`);
}

/** 5. One idempotency key moves money at most once: every posting under a key is named. */
async function keysReused(db: DbOrTx): Promise<LedgerProblem[]> {
  const reused = await queryRows<{ key: string; postings: string[]; transfers: number[] }>(
    db,
    sql`select idempotency_key as key, array_agg(distinct posting_id::text) as postings, array_agg(id::int order by id) as transfers
        from ledger_transfers where idempotency_key is not null
        group by idempotency_key having count(distinct posting_id) > 1`,
  );
  return reused.map((row) => ({
    invariant: 5,
    message: `idempotency key ${row.key} moved money ${row.postings.length} times: postings ${row.postings.join(", ")} (transfers ${row.transfers.join(", ")})`,
  }));
}
