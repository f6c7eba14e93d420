import type postgres from "postgres";

/** One turn of a path: its stretch of the write-ahead log, as LSNs, and the transfers (and failures) it made. */
export type WalRange = { from: string; to: string; transfers: number };

/**
 * What a path wrote to the write-ahead log, by table or index of the benchmark's database, per transfer: where its
 * WAL bytes (and so much of its database work) go. Reads the log with pg_walinspect (Postgres 15+, superuser), which
 * `sql`'s database gets; records of other databases are left out. Records that name no relation (commits) are
 * counted together, with any other database's that fell in the same ranges. A turn whose log a checkpoint has
 * removed already is left out, with its transfers.
 */
export async function walByRelation(sql: postgres.Sql, ranges: WalRange[]) {
  await sql`create extension if not exists pg_walinspect`;
  const totals = new Map<string, { bytes: number; fullPages: number; records: number }>();
  let transfers = 0;
  for (const { from, to, transfers: made } of ranges) {
    const rows = await sql<{ relation: string; bytes: string; full_pages: string; records: string }[]>`
      select coalesce(c.relname, '(no relation: commits, …)') as relation, sum(r.record_length)::text as bytes,
             sum(r.fpi_length)::text as full_pages, count(*)::text as records
      from pg_get_wal_records_info(${from}::pg_lsn, ${to}::pg_lsn) r
      left join pg_class c on c.relfilenode::text = substring(r.block_ref from 'rel \\d+/\\d+/(\\d+)')
      where r.block_ref is null or r.block_ref = ''
         or substring(r.block_ref from 'rel \\d+/(\\d+)/') = (select oid::text from pg_database where datname = current_database())
      group by 1`.catch(() => undefined);
    if (!rows) continue;
    transfers += made;
    for (const row of rows) {
      const total = totals.get(row.relation) ?? { bytes: 0, fullPages: 0, records: 0 };
      total.bytes += Number(row.bytes);
      total.fullPages += Number(row.full_pages);
      total.records += Number(row.records);
      totals.set(row.relation, total);
    }
  }
  const per = (n: number) => n / Math.max(1, transfers);
  return [...totals]
    .sort((a, b) => b[1].bytes - a[1].bytes)
    .map(([relation, t]) => ({
      relation,
      "WAL bytes/transfer": Math.round(per(t.bytes)),
      "of it full pages": Math.round(per(t.fullPages)),
      "records/transfer": per(t.records).toFixed(2),
    }));
}
