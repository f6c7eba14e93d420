-- Events the old relay already published are done: the table now holds only what is still to be sent.
DELETE FROM "outbox_events" WHERE "published_at" IS NOT NULL;--> statement-breakpoint
DROP INDEX "outbox_events_unpublished_idx";--> statement-breakpoint
ALTER TABLE "outbox_events" DROP COLUMN "published_at";
