ALTER TABLE "aml_flags" ADD COLUMN "resolved_at" timestamp (3) with time zone;--> statement-breakpoint
ALTER TABLE "aml_flags" ADD COLUMN "resolved_by" uuid;--> statement-breakpoint
ALTER TABLE "aml_flags" ADD COLUMN "resolution" text;