CREATE TABLE "trade_orders" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" uuid NOT NULL,
	"type" text NOT NULL,
	"side" text NOT NULL,
	"asset" text NOT NULL,
	"amount" numeric(78, 0) NOT NULL,
	"filled_amount" numeric(78, 0) DEFAULT 0 NOT NULL,
	"price" text,
	"limit_price" numeric,
	"stop_price" numeric,
	"notional" numeric(78, 0) DEFAULT 0 NOT NULL,
	"fee" numeric(78, 0) DEFAULT 0 NOT NULL,
	"held" numeric(78, 0) DEFAULT 0 NOT NULL,
	"status" text NOT NULL,
	"expires_at" timestamp (3) with time zone,
	"filled_at" timestamp (3) with time zone,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "trade_quotes" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" uuid NOT NULL,
	"side" text NOT NULL,
	"asset" text NOT NULL,
	"amount" numeric(78, 0) NOT NULL,
	"price" text NOT NULL,
	"notional" numeric(78, 0) NOT NULL,
	"fee" numeric(78, 0) NOT NULL,
	"expires_at" timestamp (3) with time zone NOT NULL,
	"used_at" timestamp with time zone,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "trade_orders_user_created_idx" ON "trade_orders" USING btree ("user_id","created_at","id");--> statement-breakpoint
CREATE INDEX "trade_orders_open_idx" ON "trade_orders" USING btree ("asset") WHERE "trade_orders"."status" = 'open';