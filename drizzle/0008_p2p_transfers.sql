CREATE TABLE "aml_flags" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"transfer_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"rule" text NOT NULL,
	"detail" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "p2p_transfers" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"sender_id" uuid NOT NULL,
	"recipient_id" uuid NOT NULL,
	"asset" text NOT NULL,
	"amount" numeric(78, 0) NOT NULL,
	"amount_usd_cents" bigint NOT NULL,
	"note" text,
	"status" text NOT NULL,
	"reviewed_by" uuid,
	"reviewed_at" timestamp with time zone,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "aml_flags" ADD CONSTRAINT "aml_flags_transfer_id_p2p_transfers_id_fk" FOREIGN KEY ("transfer_id") REFERENCES "public"."p2p_transfers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "aml_flags_created_idx" ON "aml_flags" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "p2p_transfers_sender_created_idx" ON "p2p_transfers" USING btree ("sender_id","created_at");--> statement-breakpoint
CREATE INDEX "p2p_transfers_status_idx" ON "p2p_transfers" USING btree ("status");