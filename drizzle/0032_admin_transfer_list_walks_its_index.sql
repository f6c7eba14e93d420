DROP INDEX "p2p_transfers_status_idx";--> statement-breakpoint
CREATE INDEX "p2p_transfers_status_idx" ON "p2p_transfers" USING btree ("status","created_at","id");