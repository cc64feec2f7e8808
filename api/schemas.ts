// The resources of the API (SPEC §2) as zod/OpenAPI schemas, and how rows and holds
// become them. Times are ISO 8601 strings; ids are UUIDs.
import { z } from '@hono/zod-openapi';
import type { CommentRow } from '../core/catalog/comments.js';
import type { CategoryRow, EventRow } from '../core/catalog/events.js';
import { MAX_ROW_SEATS, SEAT_ID, SEAT_NAME } from '../core/catalog/seat-map.js';
import { waitingRoomOf } from '../core/catalog/waiting-room.js';
import {
  holdOfRecord,
  type NotificationRow,
  type ReservationRow,
} from '../core/records/reservation-records.js';
import type { Hold } from '../core/reservations/hold.js';
import { EVENT_STATUSES, RESERVATION_STATUSES } from '../drizzle/schema/index.js';
import { type Serialized, serialize } from './responses.js';

/** Postgres stores no NUL character in text (nor in jsonb): such input is refused with 400. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is exactly what it refuses.
const WITHOUT_NUL = /^[^\x00]*$/;

/** Free text as the API takes it: at most `max` characters, no NUL. */
export const FreeText = (max: number) =>
  z.string().max(max).regex(WITHOUT_NUL, 'must not contain NUL characters');

/** Free text that must say something: trimmed, 1..max characters, no NUL. */
export const Text = (max: number) =>
  z.string().trim().min(1).max(max).regex(WITHOUT_NUL, 'must not contain NUL characters');

/** The years a drop can be in: anything else is a typo (or a probe), never an event. */
export const YEARS = { min: 2000, max: 2200 } as const;

/**
 * An ISO 8601 date-time with an offset, in years 2000..2200 — a range every layer (zod,
 * JavaScript dates, Postgres, the cursors) represents without surprises.
 */
export const Timestamp = (description?: string) =>
  z.iso
    .datetime({ offset: true })
    .refine(
      (v) => {
        const year = Number(v.slice(0, 4));
        return year >= YEARS.min && year <= YEARS.max;
      },
      { message: `must be in the years ${YEARS.min} to ${YEARS.max}` },
    )
    .openapi({
      description: `${description ? `${description}; ` : ''}ISO 8601 with an offset, years ${YEARS.min}..${YEARS.max}`,
    });

/**
 * The If-None-Match request header, documented and not validated by the route: any value
 * is fine, and reading it through the validator would copy every header into an object.
 */
export const ifNoneMatchParameter = {
  in: 'header' as const,
  name: 'If-None-Match',
  required: false,
  schema: { type: 'string' as const },
  description: 'The ETag of an earlier answer',
};

/** What z.uuid() accepts, for the hand-written checks of the hot routes (hand-validated.ts). */
export const UUID = z.regexes.uuid();

export const Id = (name: string) =>
  z
    .uuid({ message: 'must be a UUID' })
    .openapi({ param: { name, in: 'path' }, example: '0193a0b2-7c1e-7d3a-9f00-1c2d3e4f5a6b' });

/** An event's path parameters, as a hot route accepts them without zod (hand-validated.ts). */
export const EventParams = z.object({ eventId: Id('eventId') });
export const acceptEventId = (params: unknown) => {
  const { eventId } = params as { eventId?: unknown };
  return typeof eventId === 'string' && UUID.test(eventId) ? { eventId } : undefined;
};

/**
 * A reservation id: opaque to clients (SPEC §2), at most 64 URL-safe characters. New ones
 * carry their event (core/reservations/hold-ids.ts); older records may be UUIDs.
 */
export const ReservationId = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be a reservation id')
  .openapi({
    param: { name: 'id', in: 'path' },
    example: 'AZOgsnwefTqfABwtPk9aaw1q0m4yQ8xkuPMMWRUdSb',
  });

export const EventSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    description: z.string(),
    venue: z.string(),
    startsAt: z.iso.datetime(),
    endsAt: z.iso.datetime().nullable(),
    status: z.enum(EVENT_STATUSES),
    holdTtlSeconds: z.number().int(),
    perUserLimit: z.number().int(),
    waitingRoom: z
      .object({
        enabled: z.boolean(),
        admitPerSecond: z.number().int().nullable(),
        passTtlSeconds: z.number().int(),
      })
      .openapi('WaitingRoom'),
    ratingAverage: z.number().nullable(),
    ratingCount: z.number().int(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .openapi('Event');

export const CategorySchema = z
  .object({
    id: z.uuid(),
    eventId: z.uuid(),
    name: z.string(),
    priceCents: z.number().int(),
    currency: z.string().length(3),
    capacity: z.number().int(),
    perUserLimit: z.number().int().nullable(),
    seated: z
      .literal(true)
      .optional()
      .openapi({ description: 'A seated category (SPEC §8): its capacity is its seats' }),
    noSingleSeatGaps: z.boolean().optional(),
  })
  .openapi('Category');

const SeatName = z.string().regex(SEAT_NAME, 'must be 1 to 24 letters, digits, _ or .');

/** A seat map as an admin writes it (SPEC §8); core/catalog/seat-map.ts checks the rest. */
export const SeatMapBody = z
  .object({
    sections: z
      .array(
        z.object({
          name: SeatName,
          rows: z
            .array(
              z.object({
                name: SeatName,
                seats: z.union([
                  z.number().int().min(1).max(MAX_ROW_SEATS),
                  z.array(SeatName).min(1).max(MAX_ROW_SEATS),
                ]),
              }),
            )
            .min(1),
        }),
      )
      .min(1),
  })
  .openapi('SeatMapInput', {
    description: 'Rows front first; seats: a number (labels 1..N) or the labels in order',
  });

/** A seat id: `<section>-<row>-<label>`. */
export const SeatId = z.string().regex(SEAT_ID, 'must be a seat id <section>-<row>-<label>');

export const EventWithCategoriesSchema = EventSchema.extend({
  categories: z.array(CategorySchema),
}).openapi('EventWithCategories');

export const ReservationSchema = z
  .object({
    id: z.string().openapi({ description: 'Opaque, at most 64 URL-safe characters' }),
    eventId: z.uuid(),
    categoryId: z.uuid(),
    userId: z.uuid(),
    quantity: z.number().int(),
    status: z.enum(RESERVATION_STATUSES),
    expiresAt: z.iso.datetime(),
    createdAt: z.iso.datetime(),
    confirmedAt: z.iso.datetime().optional(),
    endedAt: z.iso
      .datetime()
      .optional()
      .openapi({ description: 'When it was released, expired or cancelled' }),
    seats: z
      .array(z.string())
      .optional()
      .openapi({ description: 'A seated category’s reservation: its seat ids (SPEC §8)' }),
  })
  .openapi('Reservation');

const iso = (d: Date | number) => new Date(d).toISOString();

const validDate = (d: Date | null) =>
  d === null ||
  (!Number.isNaN(d.getTime()) && d.getUTCFullYear() >= 1 && d.getUTCFullYear() <= 9999);

/**
 * Whether an event row can be shown: every date of it is one JavaScript reads and ISO 8601
 * writes. A row from before the dates were bounded (year 20, say) is not, and is left out
 * of public reads (with a log line) rather than failing them.
 */
export const representable = (row: EventRow): boolean =>
  validDate(row.startsAt) &&
  validDate(row.endsAt) &&
  validDate(row.createdAt) &&
  validDate(row.updatedAt);

export function toEvent(row: EventRow, defaultHoldTtlSeconds: number): z.infer<typeof EventSchema> {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    venue: row.venue,
    startsAt: iso(row.startsAt),
    endsAt: row.endsAt ? iso(row.endsAt) : null,
    status: row.status,
    holdTtlSeconds: row.holdTtlSeconds ?? defaultHoldTtlSeconds,
    perUserLimit: row.perUserLimit,
    waitingRoom: waitingRoomOf(row),
    ratingAverage:
      row.ratingCount > 0 ? Math.round((row.ratingSum / row.ratingCount) * 100) / 100 : null,
    ratingCount: row.ratingCount,
    createdAt: iso(row.createdAt),
    updatedAt: iso(row.updatedAt),
  };
}

export function toCategory(row: CategoryRow): z.infer<typeof CategorySchema> {
  return {
    id: row.id,
    eventId: row.eventId,
    name: row.name,
    priceCents: row.priceCents,
    currency: row.currency,
    capacity: row.capacity,
    perUserLimit: row.perUserLimit,
    ...(row.seatMap ? { seated: true as const, noSingleSeatGaps: row.noSingleSeatGaps } : {}),
  };
}

/** A hold as the API shows it; a payment in progress is still `held` to the client. */
type Reservation = z.infer<typeof ReservationSchema>;

export function toReservation(hold: Hold): Reservation {
  return {
    id: hold.id,
    eventId: hold.eventId,
    categoryId: hold.categoryId,
    userId: hold.userId,
    quantity: hold.quantity,
    status: hold.status === 'confirming' ? 'held' : hold.status,
    expiresAt: iso(hold.expiresAt),
    createdAt: iso(hold.createdAt),
    ...(hold.confirmedAt ? { confirmedAt: iso(hold.confirmedAt) } : {}),
    ...(hold.endedAt ? { endedAt: iso(hold.endedAt) } : {}),
    ...(hold.seats ? { seats: hold.seats } : {}),
  };
}

const PLAIN = /^[\w-]+$/;

/**
 * A hold just placed (the reserve route's answer) as JSON: the same text as
 * JSON.stringify(toReservation(hold)), written as one template instead of an object and its
 * serialisation. Its strings need no escaping: ids are UUIDs or hold ids, checked on the way
 * in; a user id that is anything else takes the general path.
 */
export function placedHoldJson(hold: Hold): Serialized<Reservation> {
  if (hold.status !== 'held' || hold.seats || !PLAIN.test(hold.userId))
    return serialize(toReservation(hold));
  return `{"id":"${hold.id}","eventId":"${hold.eventId}","categoryId":"${hold.categoryId}","userId":"${hold.userId}","quantity":${hold.quantity},"status":"held","expiresAt":"${iso(hold.expiresAt)}","createdAt":"${iso(hold.createdAt)}"}` as Serialized<Reservation>;
}

/** A reservation as the durable record has it (after Redis forgot it). */
export const toReservationFromRecord = (row: ReservationRow): Reservation =>
  toReservation(holdOfRecord(row));

export const NotificationSchema = z
  .object({
    id: z.uuid(),
    kind: z.string().openapi({ example: 'reservation.confirmed' }),
    eventId: z.uuid().nullable(),
    reservationId: z.string().nullable(),
    payload: z.record(z.string(), z.unknown()),
    status: z.string().openapi({ description: 'pending, sent, failed or dead' }),
    createdAt: z.iso.datetime(),
    deliveredAt: z.iso.datetime().nullable(),
  })
  .openapi('Notification');

export function toNotification(row: NotificationRow): z.infer<typeof NotificationSchema> {
  return {
    id: row.id,
    kind: row.kind,
    eventId: row.eventId,
    reservationId: row.reservationId,
    payload: row.payload as Record<string, unknown>,
    status: row.status,
    createdAt: iso(row.createdAt),
    deliveredAt: row.deliveredAt ? iso(row.deliveredAt) : null,
  };
}

export const CommentSchema = z
  .object({
    id: z.uuid(),
    eventId: z.uuid(),
    userId: z.uuid(),
    rating: z.number().int().min(1).max(5),
    /** As written: returned as JSON, never rendered */
    text: z.string(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .openapi('Comment');

export function toComment(row: CommentRow): z.infer<typeof CommentSchema> {
  return {
    id: row.id,
    eventId: row.eventId,
    userId: row.userId,
    rating: row.rating,
    text: row.text,
    createdAt: iso(row.createdAt),
    updatedAt: iso(row.updatedAt),
  };
}

export const json = <T extends z.ZodType>(schema: T) => ({
  content: { 'application/json': { schema } },
});
