import { sql } from 'drizzle-orm';
import {
  check,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { at, createdAt, id, sqlList } from './columns.js';
import { events } from './events.js';
import { reservationIdCheck } from './reservations.js';
import { users } from './users.js';

export const NOTIFICATION_STATUSES = ['pending', 'sent', 'failed', 'dead'] as const;
export const NOTIFICATION_CHANNELS = ['log', 'webhook'] as const;

export const notifications = pgTable(
  'notifications',
  {
    id: id(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    eventId: uuid('event_id').references(() => events.id, { onDelete: 'set null' }),
    /** An opaque reservation id (SPEC §2), as in reservations.id. */
    reservationId: text('reservation_id'),
    /** e.g. reservation.confirmed, event.rescheduled. */
    kind: text('kind').notNull(),
    /** One notification per change, however often its message is redelivered. */
    dedupeKey: text('dedupe_key').notNull(),
    payload: jsonb('payload').notNull().default({}),
    channel: text('channel', { enum: NOTIFICATION_CHANNELS }).notNull().default('log'),
    /**
     * The engine that stored it (REDIS_KEY_PREFIX): only that engine's workers deliver it,
     * so engines (or test runs) sharing one Postgres never send each other's notifications.
     */
    namespace: text('namespace').notNull().default(''),
    status: text('status', { enum: NOTIFICATION_STATUSES }).notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
    nextAttemptAt: at('next_attempt_at'),
    deliveredAt: at('delivered_at'),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('notifications_dedupe_key').on(t.dedupeKey),
    // One notification per reservation and kind (confirmed, cancelled, expired), whoever
    // writes it first: the sale's own transaction, the persister, or the reconciliation.
    uniqueIndex('notifications_reservation_kind')
      .on(t.reservationId, t.kind)
      .where(sql`${t.reservationId} is not null`),
    check('notifications_status_check', sql.raw(`status in (${sqlList(NOTIFICATION_STATUSES)})`)),
    check('notifications_channel_check', sql.raw(`channel in (${sqlList(NOTIFICATION_CHANNELS)})`)),
    check('notifications_attempts_check', sql`${t.attempts} >= 0`),
    check('notifications_reservation_id_check', reservationIdCheck('reservation_id')),
    // GET /v1/me/notifications, newest first.
    index('notifications_user_created_idx').on(t.userId, t.createdAt, t.id),
    // The delivery loop's queue of due retries.
    index('notifications_due_idx')
      .on(t.nextAttemptAt)
      .where(sql`${t.status} in ('pending', 'failed')`),
  ],
);
