ALTER TABLE "notifications" ALTER COLUMN "reservation_id" SET DATA TYPE text;--> statement-breakpoint
ALTER TABLE "reservations" ALTER COLUMN "id" SET DATA TYPE text;--> statement-breakpoint
ALTER TABLE "notifications" ADD CONSTRAINT "notifications_reservation_id_check" CHECK (char_length(reservation_id) between 1 and 64);--> statement-breakpoint
ALTER TABLE "reservations" ADD CONSTRAINT "reservations_id_check" CHECK (char_length(id) between 1 and 64);