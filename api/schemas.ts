// The resources of the API (SPEC §2) as zod/OpenAPI schemas, and how rows and holds
// become them. Times are ISO 8601 strings; ids are UUIDs.
import { z } from '@hono/zod-openapi';
import type { CommentRow } from '../core/catalog/comments.js';
import { botChallengeOf } from '../core/catalog/drop-access.js';
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

/** Characters as JSON Schema counts them (code points); a string's length counts UTF-16 units. */
function codePoints(s: string): number {
  let n = 0;
  for (const _ of s) n += 1;
  return n;
}

/**
 * A string of min..max characters as the document's minLength and maxLength mean them:
 * zod's min and max count UTF-16 units, which would refuse 100 emoji as over 100.
 */
/**
 * A field that must be absent (`not: {}` in the document): one shape of a body that takes
 * either of two fields, never both, says so of the other.
 */
export const Absent = (why: string) =>
  z
    .any()
    .refine(() => false, why)
    .optional()
    .openapi({ not: {} });

export const Chars = (min: number, max: number) =>
  z
    .string()
    .refine(
      (s) => {
        // A code point is one or two units: counting is needed only near the bounds.
        if (s.length <= max && s.length >= 2 * min) return true;
        const n = codePoints(s);
        return n >= min && n <= max;
      },
      { message: `must be ${min} to ${max} characters` },
    )
    .openapi({ minLength: min, maxLength: max });

/** Free text as the API takes it: at most `max` characters, no NUL. */
export const FreeText = (max: number, min = 0) =>
  Chars(min, max).regex(WITHOUT_NUL, 'must not contain NUL characters');

/**
 * What String.prototype.trim removes (ECMAScript's WhiteSpace and LineTerminator), spelled
 * out: a document's pattern is also read by other regex engines, whose `\s` differs.
 */
const BLANK =
  '\\t\\n\\v\\f\\r \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff';
/** Something besides blanks, and no NUL. */
const SAYS_SOMETHING = new RegExp(`^[${BLANK}]*[^\\x00${BLANK}][^\\x00]*$`);

/**
 * Free text that must say something: 1..max characters with one not blank, no NUL; stored
 * trimmed. The bounds are checked before the trim, as the document's schema states them.
 */
export const Text = (max: number) =>
  Chars(1, max).regex(SAYS_SOMETHING, 'must not be blank nor contain NUL characters').trim();

/** `pattern` (a regex source without anchors) with blanks around it, which are trimmed. */
export const trimmedAround = (pattern: string) =>
  new RegExp(`^[${BLANK}]*(?:${pattern})[${BLANK}]*$`);

/** The years a drop can be in: anything else is a typo (or a probe), never an event. */
export const YEARS = { min: 2000, max: 2200 } as const;

/** Leap years among YEARS (2100 and 2200 are not). */
const LEAP_YEAR = '20(?:[02468][048]|[13579][26])|21(?:0[48]|[2468][048]|[13579][26])';
/** A month and day of any year, 29 February aside. */
const MONTH_DAY =
  '(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)|02-(?:0[1-9]|1[0-9]|2[0-8])';
const TIME =
  'T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\\.[0-9]+)?(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])';
/**
 * RFC 3339 as zod's iso.datetime({ offset: true }) reads it, with the year (as written,
 * before the offset) in YEARS: the whole rule is the pattern, so the document states it.
 */
const TIMESTAMP = new RegExp(
  `^(?:(?:${LEAP_YEAR})-02-29|(?:2[01][0-9]{2}|2200)-(?:${MONTH_DAY}))${TIME}$`,
);

/**
 * An ISO 8601 date-time with an offset, in years 2000..2200 — a range every layer (zod,
 * JavaScript dates, Postgres, the cursors) represents without surprises.
 */
export const Timestamp = (description?: string) =>
  z
    .string()
    .regex(
      TIMESTAMP,
      `must be an ISO 8601 date-time with an offset, in the years ${YEARS.min} to ${YEARS.max}`,
    )
    .openapi({
      format: 'date-time',
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
  const eventId = (params as { eventId?: unknown } | null | undefined)?.eventId;
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
    presale: z
      .object({ enabled: z.boolean(), endsAt: z.iso.datetime().nullable() })
      .openapi('Presale'),
    botChallenge: z
      .object({ enabled: z.boolean(), difficulty: z.number().int() })
      .openapi('BotChallenge'),
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
    presale: { enabled: row.presaleEnabled, endsAt: row.presaleEndsAt && iso(row.presaleEndsAt) },
    botChallenge: botChallengeOf(row),
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
