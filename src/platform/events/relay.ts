import { asc, inArray, isNull, sql } from "drizzle-orm";
import type { Bus } from "../bus";
import type { Db } from "../db/client";
import { outboxEvents } from "./schema";

/** The bus channel of one user's private events; every instance with a socket of that user listens. */
export const userChannel = (userId: string) => `user:${userId}`;

/** What crosses the bus: the outbox row id lets a client drop an event it has already seen. */
export type PublishedEvent = { id: number; type: string; data: Record<string, unknown> };

/**
 * Publishes committed private events to the bus, oldest first, and marks them published. Rows are claimed
 * with FOR UPDATE SKIP LOCKED so any number of instances can relay; a failed publish rolls the claim back
 * and the rows go again next time (at least once, which the event id makes harmless).
 */
export async function relayOutboxEvents(db: Db, bus: Bus, batch = 100): Promise<number> {
  return db.transaction(async (tx) => {
    const due = await tx
      .select()
      .from(outboxEvents)
      .where(isNull(outboxEvents.publishedAt))
      .orderBy(asc(outboxEvents.id))
      .limit(batch)
      .for("update", { skipLocked: true });
    if (due.length === 0) return 0;
    await Promise.all(
      due.map((row) => bus.publish(userChannel(row.userId), { id: row.id, type: row.type, data: row.data } as PublishedEvent)),
    );
    await tx
      .update(outboxEvents)
      .set({ publishedAt: sql`now()` })
      .where(
        inArray(
          outboxEvents.id,
          due.map((row) => row.id),
        ),
      );
    return due.length;
  });
}
