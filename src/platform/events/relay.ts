import { sql } from "drizzle-orm";
import type { Bus } from "../bus";
import { type Db, queryRows } from "../db/client";

/** The bus channel of one user's private events; every instance with a socket of that user listens. */
export const userChannel = (userId: string) => `user:${userId}`;

/** What crosses the bus: the outbox row id lets a client drop an event it has already seen. */
export type PublishedEvent = { id: number; type: string; data: Record<string, unknown> };

/** How many events one relay transaction claims at most. */
export const OUTBOX_BATCH = 500;

/**
 * Publishes committed private events with ids above `after` to the bus, oldest first, removing them as it
 * goes. Rows are claimed with FOR UPDATE SKIP LOCKED so any number of instances can relay; a failed publish
 * rolls the removal back and the rows go again next time (at least once, which the event id makes harmless).
 */
export async function relayOutboxEvents(
  db: Db,
  bus: Bus,
  { after = 0, batch = OUTBOX_BATCH }: { after?: number; batch?: number } = {},
): Promise<{ relayed: number; lastId: number | null }> {
  return db.transaction(async (tx) => {
    const due = await queryRows<{ id: number | string; user_id: string; type: string; data: Record<string, unknown> }>(
      tx,
      sql`delete from outbox_events where id in (
            select id from outbox_events where id > ${after} order by id limit ${batch} for update skip locked)
          returning id, user_id, type, data`,
    );
    due.sort((a, b) => Number(a.id) - Number(b.id));
    await Promise.all(
      due.map((row) =>
        bus.publish(userChannel(row.user_id), { id: Number(row.id), type: row.type, data: row.data } as PublishedEvent),
      ),
    );
    return { relayed: due.length, lastId: due.length ? Number(due[due.length - 1].id) : null };
  });
}

export type OutboxRelayOptions = {
  batch?: number;
  /** How far below the last relayed id an ordinary tick still looks, for rows that committed late. */
  lateIds?: number;
  /** How often a tick looks from the very first id, so no row is left behind however late it committed. */
  sweepEveryMs?: number;
  now?: () => number;
};

/**
 * One relay tick for a worker: the number of events relayed. Removed rows stay in the table's index until
 * vacuum, and under load they pile up faster than autovacuum visits, so a scan from the first id walks more
 * of them every tick. A tick therefore starts `lateIds` below the last id it relayed: ids are taken at insert
 * but seen at commit, and a transaction that commits that far behind is rare. Once every `sweepEveryMs` a
 * tick starts from the first id and picks up any such row.
 */
export function createOutboxRelay(db: Db, bus: Bus, options: OutboxRelayOptions = {}) {
  const { batch = OUTBOX_BATCH, lateIds = 5_000, sweepEveryMs = 1_000, now = () => performance.now() } = options;
  let floor = 0;
  let lastSweep = Number.NEGATIVE_INFINITY;
  return async (): Promise<number> => {
    const at = now();
    const sweep = at - lastSweep >= sweepEveryMs;
    if (sweep) lastSweep = at;
    const { relayed, lastId } = await relayOutboxEvents(db, bus, { after: sweep ? 0 : floor, batch });
    if (lastId !== null) floor = Math.max(floor, lastId - lateIds);
    return relayed;
  };
}
