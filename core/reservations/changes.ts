// The reservations.v1 message (SPEC §6): one hold change, keyed by eventId.
//
// Every change of a surge passes here three times (the relay reads it from the outbox, the
// persister and the notifier read it from Kafka), so the hot paths check it with the
// hand-written `readReservationChange` — the same rules as the zod schema below, which stays
// the contract's type — instead of a zod parse each time (the cost is in BENCHMARKS.md,
// measured with perf/http/pipeline-cpu.ts).
import { z } from 'zod';
import { RESERVATION_ID_SQL_PATTERN } from '../../drizzle/schema/reservations.js';
import { SEAT_ID } from '../catalog/seat-map.js';

export const RESERVATION_CHANGE_TYPES = [
  'reservation.held',
  'reservation.confirmed',
  'reservation.released',
  'reservation.expired',
  'reservation.cancelled',
] as const;
export type ReservationChangeType = (typeof RESERVATION_CHANGE_TYPES)[number];

/**
 * A reservation id (SPEC §2): opaque, 1 to 64 URL-safe characters. Wider than the ids
 * the engine hands out now (hold-ids.ts), so the UUIDs of older holds still in flight go
 * through. Postgres checks only the length (drizzle/schema/reservations.ts): every id it
 * stores came through here.
 */
export const RESERVATION_ID_PATTERN = new RegExp(RESERVATION_ID_SQL_PATTERN);

export const ReservationChange = z.object({
  type: z.enum(RESERVATION_CHANGE_TYPES),
  reservationId: z.string().regex(RESERVATION_ID_PATTERN),
  eventId: z.uuid(),
  categoryId: z.uuid(),
  userId: z.uuid(),
  quantity: z.number().int().min(1).max(10),
  /** when the change happened (Redis clock), ISO 8601 */
  at: z.iso.datetime(),
  /** orders one reservation's steps: 1 = held */
  seq: z.number().int().min(1),
  /** the hold's expiry at that step */
  expiresAt: z.iso.datetime(),
  /**
   * the event's change number of this step (numbered in Redis per event): the record
   * keeps the highest it holds, so a Redis that lost changes is found out
   * (docs/DURABILITY.md). Absent in messages from before it existed.
   */
  eventSeq: z.number().int().min(1).optional(),
  /** the id of the waiting room's queue pass the hold was placed with (SPEC §7), if any */
  queuePass: z
    .string()
    .regex(/^[\w-]{1,64}$/)
    .optional(),
  /** a seated category's reservation: its seat ids (SPEC §8), as many as `quantity` */
  seats: z.array(z.string().regex(SEAT_ID)).min(1).max(10).optional(),
});
export type ReservationChange = z.infer<typeof ReservationChange>;

const TYPES: ReadonlySet<string> = new Set(RESERVATION_CHANGE_TYPES);

// The hand-written paths below name every key of the schema, in its order. A key added to
// the schema alone would be dropped from every message without a word: refuse to load.
const KEYS =
  'type,reservationId,eventId,categoryId,userId,quantity,at,seq,expiresAt,eventSeq,queuePass,seats';
if (Object.keys(ReservationChange.shape).join() !== KEYS) {
  throw new Error(
    'core/reservations/changes.ts: readReservationChange, fromOutboxEntry and reservationChangeJson must follow ReservationChange',
  );
}
// zod's own rules for z.uuid() and z.iso.datetime(), applied without a parse.
const UUID = z.regexes.uuid();
const ISO_UTC = z.regexes.datetime({});

const QUEUE_PASS_ID = /^[\w-]{1,64}$/;
const isUuid = (v: unknown): v is string => typeof v === 'string' && UUID.test(v);
const isIso = (v: unknown): v is string => typeof v === 'string' && ISO_UTC.test(v);
const isInt = (v: unknown, min: number, max: number): v is number =>
  typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
const isSeats = (v: unknown): v is string[] =>
  Array.isArray(v) &&
  v.length >= 1 &&
  v.length <= 10 &&
  v.every((id) => typeof id === 'string' && SEAT_ID.test(id));

/**
 * A reservations.v1 message as the schema reads it (unknown keys dropped), or null when
 * it breaks any of its rules.
 */
export function readReservationChange(v: unknown): ReservationChange | null {
  if (typeof v !== 'object' || v === null) return null;
  const m = v as Record<string, unknown>;
  if (
    typeof m.type !== 'string' ||
    !TYPES.has(m.type) ||
    typeof m.reservationId !== 'string' ||
    !RESERVATION_ID_PATTERN.test(m.reservationId) ||
    !isUuid(m.eventId) ||
    !isUuid(m.categoryId) ||
    !isUuid(m.userId) ||
    !isInt(m.quantity, 1, 10) ||
    !isIso(m.at) ||
    !isInt(m.seq, 1, Number.MAX_SAFE_INTEGER) ||
    !isIso(m.expiresAt) ||
    (m.eventSeq !== undefined && !isInt(m.eventSeq, 1, Number.MAX_SAFE_INTEGER)) ||
    (m.queuePass !== undefined &&
      (typeof m.queuePass !== 'string' || !QUEUE_PASS_ID.test(m.queuePass))) ||
    (m.seats !== undefined && !isSeats(m.seats))
  )
    return null;
  return {
    type: m.type as ReservationChangeType,
    reservationId: m.reservationId,
    eventId: m.eventId,
    categoryId: m.categoryId,
    userId: m.userId,
    quantity: m.quantity,
    at: m.at,
    seq: m.seq,
    expiresAt: m.expiresAt,
    ...(m.eventSeq === undefined ? {} : { eventSeq: m.eventSeq }),
    ...(m.queuePass === undefined ? {} : { queuePass: m.queuePass as string }),
    ...(m.seats === undefined ? {} : { seats: m.seats as string[] }),
  };
}

/** A Kafka message value as a reservation change, or null when it is not one. */
export function parseReservationChange(value: Buffer | string | null): ReservationChange | null {
  if (value === null) return null;
  try {
    return readReservationChange(JSON.parse(String(value)));
  } catch {
    return null;
  }
}

/**
 * Redis time in ms (an outbox field) as ISO 8601; throws for anything else. Remembers its
 * last answer per field: a surge's changes come several to the millisecond, and their
 * holds expire in the same few milliseconds, so most entries repeat the previous entry's
 * times, and toISOString is not free.
 */
function isoTime() {
  let lastField = '';
  let lastIso = '';
  return (field: string | undefined): string => {
    if (field === lastField) return lastIso;
    const ms = Number(field);
    if (field === undefined || field === '' || !Number.isSafeInteger(ms))
      throw new Error('bad time');
    lastIso = new Date(ms).toISOString();
    lastField = field;
    return lastIso;
  };
}
const atToIso = isoTime();
const expiresAtToIso = isoTime();

/**
 * An outbox stream entry (the flat field list appendOutbox.lua writes) as the change it
 * records; throws when the entry breaks the message's rules.
 */
export function fromOutboxEntry(fields: string[]): ReservationChange {
  let type: string | undefined;
  let reservationId: string | undefined;
  let eventId: string | undefined;
  let categoryId: string | undefined;
  let userId: string | undefined;
  let quantity: string | undefined;
  let at: string | undefined;
  let seq: string | undefined;
  let expiresAt: string | undefined;
  let eventSeq: string | undefined;
  let queuePass: string | undefined;
  let seats: string | undefined;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const value = fields[i + 1];
    switch (fields[i]) {
      case 'type':
        type = value;
        break;
      case 'reservationId':
        reservationId = value;
        break;
      case 'eventId':
        eventId = value;
        break;
      case 'categoryId':
        categoryId = value;
        break;
      case 'userId':
        userId = value;
        break;
      case 'quantity':
        quantity = value;
        break;
      case 'at':
        at = value;
        break;
      case 'seq':
        seq = value;
        break;
      case 'expiresAt':
        expiresAt = value;
        break;
      case 'eventSeq':
        eventSeq = value;
        break;
      case 'queuePass':
        queuePass = value;
        break;
      case 'seats':
        seats = value;
        break;
    }
  }
  const event = readReservationChange({
    type,
    reservationId,
    eventId,
    categoryId,
    userId,
    quantity: Number(quantity),
    at: atToIso(at),
    seq: Number(seq),
    expiresAt: expiresAtToIso(expiresAt),
    eventSeq: eventSeq === undefined ? undefined : Number(eventSeq),
    queuePass,
    seats: seats === undefined ? undefined : seats.split(','),
  });
  if (!event) throw new Error('outbox entry is not a reservation change');
  return event;
}

/**
 * The W3C traceparent an outbox entry carries when a traced request made the change
 * (appendOutbox.lua writes it after the message's fields); not part of the message (SPEC
 * §6): the relay sends it on in the Kafka message's headers.
 */
export function outboxTraceparent(fields: string[]): string | undefined {
  for (let i = fields.length - 2; i >= 0; i -= 2)
    if (fields[i] === 'traceparent') return fields[i + 1];
  return undefined;
}

/**
 * The id of the traced request that made the change, which an outbox entry carries beside
 * its traceparent (appendOutbox.lua); not part of the message either: the relay sends it on
 * in the headers, for the consumers' log lines.
 */
export function outboxRequestId(fields: string[]): string | undefined {
  for (let i = fields.length - 2; i >= 0; i -= 2)
    if (fields[i] === 'requestId') return fields[i + 1];
  return undefined;
}

/**
 * The message's JSON, exactly as JSON.stringify writes it (same keys, same order), for a
 * change readReservationChange accepted: none of its strings can hold a character JSON
 * escapes (the patterns above), so they are written as they are.
 */
export function reservationChangeJson(e: ReservationChange): string {
  const eventSeq = e.eventSeq === undefined ? '' : `,"eventSeq":${e.eventSeq}`;
  const queuePass = e.queuePass === undefined ? '' : `,"queuePass":"${e.queuePass}"`;
  const seats = e.seats === undefined ? '' : `,"seats":["${e.seats.join('","')}"]`;
  return `{"type":"${e.type}","reservationId":"${e.reservationId}","eventId":"${e.eventId}","categoryId":"${e.categoryId}","userId":"${e.userId}","quantity":${e.quantity},"at":"${e.at}","seq":${e.seq},"expiresAt":"${e.expiresAt}"${eventSeq}${queuePass}${seats}}`;
}
