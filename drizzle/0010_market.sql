CREATE TABLE "candles_1m" (
	"symbol" text NOT NULL,
	"t" timestamp with time zone NOT NULL,
	"o" numeric NOT NULL,
	"h" numeric NOT NULL,
	"l" numeric NOT NULL,
	"c" numeric NOT NULL,
	CONSTRAINT "candles_1m_symbol_t_pk" PRIMARY KEY("symbol","t")
);
--> statement-breakpoint
CREATE TABLE "price_alerts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" uuid NOT NULL,
	"symbol" text NOT NULL,
	"direction" text NOT NULL,
	"price" numeric NOT NULL,
	"active" boolean DEFAULT true NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"triggered_at" timestamp (3) with time zone,
	"triggered_price" numeric
);
--> statement-breakpoint
CREATE INDEX "price_alerts_user_idx" ON "price_alerts" USING btree ("user_id","created_at");--> statement-breakpoint
CREATE INDEX "price_alerts_active_idx" ON "price_alerts" USING btree ("symbol") WHERE active;