-- Assigned seating (SPEC §8): a category's seat map and blocked seats, a reservation's seats.
ALTER TABLE "ticket_categories" ADD COLUMN "seat_map" jsonb;--> statement-breakpoint
ALTER TABLE "ticket_categories" ADD COLUMN "no_single_seat_gaps" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "ticket_categories" ADD COLUMN "blocked_seats" text[] DEFAULT '{}'::text[] NOT NULL;--> statement-breakpoint
ALTER TABLE "reservations" ADD COLUMN "seats" text[];