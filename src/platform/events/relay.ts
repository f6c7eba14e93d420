import { sql } from "drizzle-orm";
import type { Bus } from "../bus";
import { type Db, queryRows } from "../db/client";

/** The bus channel of one user's private events; every instance with a socket of that user listens. */
export const userChannel = (userId: string) => `user:${userId}`;

/** What crosses the bus: the outbox row id lets a client drop an event it has already seen. */
export type PublishedEvent = { id: number; type: string; data: Record<string, unknown> };

/**
 * Publishes committed private events to the bus, oldest first, removing them as it goes. Rows are claimed
 * with FOR UPDATE SKIP LOCKED so any number of instances can relay; a failed publish rolls the removal back
 * and the rows go again next time (at least once, which the event id makes harmless).
 */
export async function relayOutboxEvents(db: Db, bus: Bus, batch = 100): Promise<number> {
  return db.transaction(async (tx) => {
    const due = await queryRows<{ id: number | string; user_id: string; type: string; data: Record<string, unknown> }>(
      tx,
      sql`delete from outbox_events where id in (
            select id from outbox_events order by id limit ${batch} for update skip locked)
          returning id, user_id, type, data`,
    );
    due.sort((a, b) => Number(a.id) - Number(b.id));
    await Promise.all(
      due.map((row) =>
        bus.publish(userChannel(row.user_id), { id: Number(row.id), type: row.type, data: row.data } as PublishedEvent),
      ),
    );
    return due.length;
  });
}
