/**
 * The five invariants of ARCHITECTURE.md, checked against the database as it is. Used by
 * `bun run cli ledger:verify` and GET /api/admin/ledger/reconcile; every violation is named.
 */
import { sql } from "drizzle-orm";
import { type DbOrTx, queryRows } from "../../platform/db/client";

export type AssetSummary = { asset: string; sumOfBalances: bigint; accounts: number; transfers: number };
export type LedgerProblem = { invariant: 1 | 2 | 3 | 4 | 5; message: string; accountId?: number; asset?: string };
export type LedgerReport = { ok: boolean; assets: AssetSummary[]; problems: LedgerProblem[] };

const APPEND_ONLY_TRIGGERS = ["ledger_transfers_append_only", "ledger_entries_append_only"];

/** How a problem names an amount; without the configuration's precisions, minor units as stored. */
type AmountText = (units: bigint, asset: string) => string;
const minorUnits: AmountText = (units, asset) => `${units} (minor units of ${asset})`;

export async function verifyLedger(db: DbOrTx, amountText: AmountText = minorUnits): Promise<LedgerReport> {
  const problems: LedgerProblem[] = [];

  // 1. Per asset, the sum of all balances is zero.
  const assets = await queryRows<{ asset: string; sum: string; accounts: number; transfers: number }>(
    db,
    sql`select a.asset, sum(a.balance)::text as sum, count(*)::int as accounts,
          (select count(*)::int from ledger_transfers t where t.asset = a.asset) as transfers
        from ledger_accounts a group by a.asset order by a.asset`,
  );
  for (const row of assets) {
    if (BigInt(row.sum) !== 0n)
      problems.push({
        invariant: 1,
        asset: row.asset,
        message: `${row.asset}: balances sum to ${amountText(BigInt(row.sum), row.asset)}, not 0`,
      });
  }

  // 2. No user account is negative.
  const negative = await queryRows<{ id: number; asset: string; balance: string }>(
    db,
    sql`select id::int as id, asset, balance::text as balance from ledger_accounts where owner_id is not null and balance < 0`,
  );
  for (const row of negative) {
    problems.push({
      invariant: 2,
      accountId: row.id,
      asset: row.asset,
      message: `account ${row.id} (${row.asset}) is negative: ${amountText(BigInt(row.balance), row.asset)}`,
    });
  }

  // 3. Every account's entries form a gapless chain 1..n, previous + amount = next, ending at its balance.
  const breaks = await queryRows<{ id: number; version: number }>(
    db,
    sql`with e as (
          select account_id, version, amount, balance_after,
                 row_number() over w as expected_version,
                 coalesce(lag(balance_after) over w, 0) + amount as expected_balance
          from ledger_entries window w as (partition by account_id order by version))
        select account_id::int as id, version::int as version from e
          where version <> expected_version or balance_after <> expected_balance`,
  );
  for (const row of breaks) {
    problems.push({
      invariant: 3,
      accountId: row.id,
      message: `account ${row.id}: entry version ${row.version} breaks the chain`,
    });
  }
  const mismatched = await queryRows<{ id: number; asset: string; balance: string; last: string; version: number }>(
    db,
    sql`select a.id::int as id, a.asset, a.balance::text as balance, coalesce(last.balance_after, 0)::text as last,
          a.version::int as version
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
      message: `account ${row.id}: balance ${balance} does not match its last entry (${last}) or version ${row.version}`,
    });
  }

  // 4. Transfers and entries are append-only: the refusing triggers exist and are enabled.
  const triggers = await queryRows<{ name: string }>(
    db,
    sql`select tgname as name from pg_trigger where tgname in ('ledger_transfers_append_only', 'ledger_entries_append_only') and tgenabled <> 'D'`,
  );
  for (const name of APPEND_ONLY_TRIGGERS.filter((n) => !triggers.some((t) => t.name === n))) {
    problems.push({ invariant: 4, message: `trigger ${name} is missing or disabled` });
  }

  // 5. One idempotency key moves money at most once.
  const reused = await queryRows<{ key: string; postings: number }>(
    db,
    sql`select idempotency_key as key, count(distinct posting_id)::int as postings from ledger_transfers
        where idempotency_key is not null group by idempotency_key having count(distinct posting_id) > 1`,
  );
  for (const row of reused)
    problems.push({ invariant: 5, message: `idempotency key ${row.key} moved money ${row.postings} times` });

  return {
    ok: problems.length === 0,
    assets: assets.map((row) => ({
      asset: row.asset,
      sumOfBalances: BigInt(row.sum),
      accounts: row.accounts,
      transfers: row.transfers,
    })),
    problems,
  };
}
