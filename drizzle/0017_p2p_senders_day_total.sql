ALTER TABLE "p2p_senders" ADD COLUMN "day" date;--> statement-breakpoint
ALTER TABLE "p2p_senders" ADD COLUMN "day_total_usd_cents" bigint DEFAULT 0 NOT NULL;