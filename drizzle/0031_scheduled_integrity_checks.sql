CREATE TABLE "integrity_checks" (
	"name" text PRIMARY KEY NOT NULL,
	"checked_at" timestamp (3) with time zone NOT NULL,
	"problems" integer NOT NULL,
	"findings" jsonb NOT NULL,
	"complete" boolean NOT NULL,
	"database_oid" bigint NOT NULL
);
