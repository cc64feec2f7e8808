CREATE TABLE "access_codes" (
	"event_id" uuid NOT NULL,
	"code_hash" "bytea" NOT NULL,
	"user_id" uuid,
	"issued_at" timestamp with time zone DEFAULT now() NOT NULL,
	"used_at" timestamp with time zone,
	CONSTRAINT "access_codes_event_id_code_hash_pk" PRIMARY KEY("event_id","code_hash")
);
--> statement-breakpoint
ALTER TABLE "events" ADD COLUMN "presale_enabled" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "events" ADD COLUMN "presale_ends_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "events" ADD COLUMN "bot_challenge_enabled" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "events" ADD COLUMN "bot_challenge_difficulty" integer DEFAULT 100000 NOT NULL;--> statement-breakpoint
ALTER TABLE "access_codes" ADD CONSTRAINT "access_codes_event_id_events_id_fk" FOREIGN KEY ("event_id") REFERENCES "public"."events"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "access_codes_event_used_idx" ON "access_codes" USING btree ("event_id") WHERE "access_codes"."user_id" is not null;--> statement-breakpoint
ALTER TABLE "events" ADD CONSTRAINT "events_drop_access_check" CHECK ((not "events"."presale_enabled" or "events"."presale_ends_at" is not null) and "events"."bot_challenge_difficulty" > 0);