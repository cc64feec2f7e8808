import { sql } from 'drizzle-orm';
import {
  boolean,
  char,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { at, createdAt, id, sqlList, updatedAt } from './columns.js';

/** draft → on_sale ⇄ paused → closed, and cancelled from any but closed (SPEC §2). */
export const EVENT_STATUSES = ['draft', 'on_sale', 'paused', 'closed', 'cancelled'] as const;
export type EventStatus = (typeof EVENT_STATUSES)[number];

export const events = pgTable(
  'events',
  {
    id: id(),
    name: text('name').notNull(),
    description: text('description').notNull().default(''),
    venue: text('venue').notNull(),
    startsAt: at('starts_at').notNull(),
    endsAt: at('ends_at'),
    status: text('status', { enum: EVENT_STATUSES }).notNull().default('draft'),
    holdTtlSeconds: integer('hold_ttl_seconds'),
    perUserLimit: integer('per_user_limit').notNull().default(10),
    /** The waiting room (SPEC §7): a fair queue in front of the drop, when enabled. */
    waitingRoomEnabled: boolean('waiting_room_enabled').notNull().default(false),
    /** Users admitted from the queue per second; set whenever the room is enabled. */
    waitingRoomAdmitPerSecond: integer('waiting_room_admit_per_second'),
    waitingRoomPassTtlSeconds: integer('waiting_room_pass_ttl_seconds').notNull().default(600),
    /** Presale (SPEC §9): until presaleEndsAt, joining (or reserving) needs an access code. */
    presaleEnabled: boolean('presale_enabled').notNull().default(false),
    presaleEndsAt: at('presale_ends_at'),
    /** The proof-of-work gate (SPEC §9): an ALTCHA challenge of this maxnumber, when enabled. */
    botChallengeEnabled: boolean('bot_challenge_enabled').notNull().default(false),
    botChallengeDifficulty: integer('bot_challenge_difficulty').notNull().default(100_000),
    /** Kept by the comment writes so the detail read needs no aggregate. */
    ratingCount: integer('rating_count').notNull().default(0),
    ratingSum: integer('rating_sum').notNull().default(0),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    check('events_status_check', sql.raw(`status in (${sqlList(EVENT_STATUSES)})`)),
    check(
      'events_ends_after_starts_check',
      sql`${t.endsAt} is null or ${t.endsAt} >= ${t.startsAt}`,
    ),
    check('events_hold_ttl_check', sql`${t.holdTtlSeconds} is null or ${t.holdTtlSeconds} > 0`),
    check('events_per_user_limit_check', sql`${t.perUserLimit} > 0`),
    check(
      'events_waiting_room_check',
      sql`(not ${t.waitingRoomEnabled} or ${t.waitingRoomAdmitPerSecond} is not null) and (${t.waitingRoomAdmitPerSecond} is null or ${t.waitingRoomAdmitPerSecond} > 0) and ${t.waitingRoomPassTtlSeconds} > 0`,
    ),
    check(
      'events_drop_access_check',
      sql`(not ${t.presaleEnabled} or ${t.presaleEndsAt} is not null) and ${t.botChallengeDifficulty} > 0`,
    ),
    check('events_rating_check', sql`${t.ratingCount} >= 0 and ${t.ratingSum} >= 0`),
    // Keyset pages ordered by (startsAt, id), with and without a status filter.
    index('events_starts_at_id_idx').on(t.startsAt, t.id),
    index('events_status_starts_at_id_idx').on(t.status, t.startsAt, t.id),
    // Case-insensitive substring search on name (`q`): trigram index (pg_trgm).
    index('events_name_trgm_idx').using('gin', sql`lower(${t.name}) gin_trgm_ops`),
  ],
);

/** A seated category's map as an admin writes it (SPEC §8): a number of seats means 1..N. */
export interface SeatMapInput {
  sections: { name: string; rows: { name: string; seats: number | string[] }[] }[];
}

export const ticketCategories = pgTable(
  'ticket_categories',
  {
    id: id(),
    eventId: uuid('event_id')
      .notNull()
      .references(() => events.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    priceCents: integer('price_cents').notNull(),
    currency: char('currency', { length: 3 }).notNull().default('EUR'),
    capacity: integer('capacity').notNull(),
    /** A tighter per-user cap within this category; null means only the event's. */
    perUserLimit: integer('per_user_limit'),
    /**
     * A seated category's map (SPEC §8), as created; null for one sold by count. Its
     * capacity is its number of seats.
     */
    seatMap: jsonb('seat_map').$type<SeatMapInput>(),
    /** Refuse a choice of seats that leaves one lone empty seat (SPEC §8). */
    noSingleSeatGaps: boolean('no_single_seat_gaps').notNull().default(false),
    /** The seats an admin took off sale: the durable side of Redis's `b` seats. */
    blockedSeats: text('blocked_seats').array().notNull().default(sql`'{}'::text[]`),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('ticket_categories_event_name_key').on(t.eventId, t.name),
    check('ticket_categories_capacity_check', sql`${t.capacity} >= 0`),
    check('ticket_categories_price_check', sql`${t.priceCents} >= 0`),
    check('ticket_categories_currency_check', sql`${t.currency} ~ '^[A-Z]{3}$'`),
    check(
      'ticket_categories_per_user_limit_check',
      sql`${t.perUserLimit} is null or ${t.perUserLimit} > 0`,
    ),
  ],
);
