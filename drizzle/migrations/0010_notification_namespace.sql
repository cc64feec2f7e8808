-- Notifications by the engine that stored them (REDIS_KEY_PREFIX): only its workers deliver them.
ALTER TABLE "notifications" ADD COLUMN "namespace" text DEFAULT '' NOT NULL;