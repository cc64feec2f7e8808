import { sql } from 'drizzle-orm';
import { check, index, integer, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { at, createdAt, sqlList, updatedAt } from './columns.js';

export const RESERVATION_STATUSES = [
  'held',
  'confirmed',
  'released',
  'expired',
  'cancelled',
] as const;
export type ReservationStatus = (typeof RESERVATION_STATUSES)[number];

/** What a reservation id may be (SPEC §2): 1 to 64 URL-safe characters. */
export const RESERVATION_ID_SQL_PATTERN = '^[A-Za-z0-9_-]{1,64}$';
/**
 * The column's CHECK: the length only. The characters are checked where a change enters
 * the pipeline (core/reservations/changes.ts), once: a regular-expression CHECK would run
 * again on every upsert of a surge.
 */
export const reservationIdCheck = (column: string) =>
  sql.raw(`char_length(${column}) between 1 and 64`);

/**
 * The durable record of every hold, written by the worker from Kafka. Redis stays the
 * authority for live holds; `seq` is the hold's step counter, so a redelivered or
 * out-of-order message never moves a row backwards.
 *
 * No foreign keys: this table records what Redis decided, and must take every step it is
 * sent — a constraint refusing a sale here would stall the pipeline behind it. The ids
 * still point at events, categories and users; the rebuild reads them back.
 */
export const reservations = pgTable(
  'reservations',
  {
    /**
     * The id the api handed out for the hold; no default, Redis chose it. Opaque (SPEC §2):
     * at most 64 URL-safe characters — the engine's hold ids, and the UUIDs of older holds.
     */
    id: text('id').primaryKey(),
    eventId: uuid('event_id').notNull(),
    categoryId: uuid('category_id').notNull(),
    userId: uuid('user_id').notNull(),
    quantity: integer('quantity').notNull(),
    status: text('status', { enum: RESERVATION_STATUSES }).notNull(),
    seq: integer('seq').notNull(),
    expiresAt: at('expires_at').notNull(),
    confirmedAt: at('confirmed_at'),
    /** When it was released, expired or cancelled. */
    endedAt: at('ended_at'),
    /** A seated category's reservation: its seat ids (SPEC §8); null for one by count. */
    seats: text('seats').array(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    check('reservations_status_check', sql.raw(`status in (${sqlList(RESERVATION_STATUSES)})`)),
    check('reservations_quantity_check', sql`${t.quantity} between 1 and 10`),
    check('reservations_seq_check', sql`${t.seq} >= 1`),
    check('reservations_id_check', reservationIdCheck('id')),
    // GET /v1/me/reservations: newest first, optional status. (read backwards)
    index('reservations_user_created_idx').on(t.userId, t.createdAt, t.id),
    // GET /v1/admin/events/:id/reservations?status= and the rebuild's sums per category.
    index('reservations_event_status_created_idx').on(t.eventId, t.status, t.createdAt, t.id),
    index('reservations_category_status_idx').on(t.categoryId, t.status),
  ],
);
