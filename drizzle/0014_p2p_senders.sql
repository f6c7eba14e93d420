CREATE TABLE "p2p_senders" (
	"sender_id" uuid PRIMARY KEY NOT NULL,
	"version" bigint DEFAULT 0 NOT NULL
);
--> statement-breakpoint
DROP INDEX "p2p_transfers_sender_created_idx";--> statement-breakpoint
CREATE INDEX "p2p_transfers_sender_window_idx" ON "p2p_transfers" USING btree ("sender_id","created_at","amount_usd_cents","status");