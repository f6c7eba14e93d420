import type { DbOrTx } from "../db/client";
import { outboxEvents } from "./schema";

export type PrivateEvent = {
  userId: string;
  type: "balance" | "transaction" | "order" | "alert" | "security";
  data: Record<string, unknown>;
};

/** Queues private events inside the caller's transaction; the realtime relay delivers them after commit. */
export async function enqueueEvents(tx: DbOrTx, events: PrivateEvent[]): Promise<void> {
  if (events.length) await tx.insert(outboxEvents).values(events);
}
