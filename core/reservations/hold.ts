// A hold as the scripts keep it, the scripts' refusals, and the one decoder of a hold, read
// from a hold hash or from a script's reply (lua/includes/holdReply.lua).
import { RESERVATION_STATUSES } from '../../drizzle/schema/index.js';

/** The scripts' failure codes (negative replies), one enum for all of them. */
export enum HoldError {
  BadArguments = -1,
  EventNotFound = -2,
  CategoryNotFound = -3,
  NotOnSale = -4,
  SoldOut = -5,
  LimitExceeded = -6,
  IdempotencyKeyReused = -7,
  HoldNotFound = -8,
  NotOwner = -9,
  HoldExpired = -10,
  InvalidState = -11,
  CapacityBelowSold = -12,
  NotDue = -13,
  PaymentFailedBefore = -15,
  /** Redis restarted and the event is not verified against the durable record yet. */
  Fenced = -16,
  /** The event has no waiting room (SPEC §7). */
  NoWaitingRoom = -17,
  QueuePassRequired = -18,
  QueuePassInvalid = -19,
  /** A hold by count asked of a seated category (SPEC §8): it takes seats. */
  CategorySeated = -20,
  /** Seats asked of a category sold by count. */
  CategoryNotSeated = -21,
  /** Seats taken or blocked; `info` names them. */
  SeatsUnavailable = -22,
  /** Seat ids the category's map does not have; `info` names them. */
  UnknownSeats = -23,
  NoAdjacentSeats = -24,
  /** The choice would leave one lone empty seat (the category's noSingleSeatGaps). */
  SingleSeatGap = -25,
}

/** A script said no. `info` carries its extra reply fields (available, limit, status...). */
export class HoldRefusal extends Error {
  constructor(
    readonly code: HoldError,
    readonly info: string[],
  ) {
    // A refusal is the script's answer, not a fault: its code says where it came from, and
    // no stack is captured (a crowd is refused far more often than served).
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(
      `hold script refused: ${HoldError[code] ?? code}${info.length ? ` (${info.join(', ')})` : ''}`,
    );
    Error.stackTraceLimit = limit;
    this.name = 'HoldRefusal';
  }
}

/** A reservation's statuses, and `confirming` (a payment runs), which the API shows as held. */
export const HOLD_STATUSES = [...RESERVATION_STATUSES, 'confirming'] as const;
export type HoldStatus = (typeof HOLD_STATUSES)[number];

export interface Hold {
  id: string;
  eventId: string;
  categoryId: string;
  userId: string;
  quantity: number;
  status: HoldStatus;
  /** ms since epoch, Redis clock */
  expiresAt: number;
  createdAt: number;
  confirmedAt?: number;
  endedAt?: number;
  /** the hold's step counter: orders its changes downstream */
  seq: number;
  /** the event's change number of the change that produced this answer, if one did */
  eventSeq?: number;
  /** a seated category's hold: its seat ids (SPEC §8) */
  seats?: string[];
}

/** An Idempotency-Key and the fingerprint of the request that first used it. */
export interface Idempotency {
  key: string;
  fingerprint: string;
}

export type ScriptReply = (string | number)[];

/** The reply of a script that went ahead; a HoldRefusal for a negative code. */
export function check(reply: ScriptReply): ScriptReply {
  const code = Number(reply[0]);
  if (code < 0) throw new HoldRefusal(code as HoldError, reply.slice(1).map(String));
  return reply;
}

/** Whether a script's reply says it answered from before (an Idempotency-Key, a replay). */
export const replayed = (reply: ScriptReply): boolean => Number(reply[0]) === 2;

const optionalNumber = (value: string | undefined) => (value ? Number(value) : undefined);

/** A hold from its fields as a hold hash names them; null when there is no hold. */
export function holdOf(fields: Record<string, string | undefined>): Hold | null {
  if (!fields.id) return null;
  return {
    id: fields.id,
    eventId: fields.eventId as string,
    categoryId: fields.categoryId as string,
    userId: fields.userId as string,
    quantity: Number(fields.quantity),
    status: fields.status as HoldStatus,
    expiresAt: Number(fields.expiresAt),
    createdAt: Number(fields.createdAt),
    confirmedAt: optionalNumber(fields.confirmedAt),
    endedAt: optionalNumber(fields.endedAt),
    seq: Number(fields.seq),
    eventSeq: optionalNumber(fields.eventSeq),
    ...(fields.seats ? { seats: fields.seats.split(',') } : {}),
  };
}

/** The fields of holdReply after its code, in its order. */
const HOLD_REPLY_FIELDS = [
  'id',
  'eventId',
  'categoryId',
  'userId',
  'quantity',
  'status',
  'expiresAt',
  'createdAt',
  'confirmedAt',
  'endedAt',
  'seq',
  'eventSeq',
  'seats',
] as const;

/** The hold of a script's holdReply ({code, id, eventId, ...}). */
export function holdOfReply(reply: ScriptReply): Hold {
  const fields: Record<string, string> = {};
  HOLD_REPLY_FIELDS.forEach((name, i) => {
    fields[name] = String(reply[i + 1] ?? '');
  });
  const hold = holdOf(fields);
  if (!hold) throw new Error('a hold script answered without a hold');
  return hold;
}

/**
 * The hold a reserve just placed: the reserve script answers {code, id, expiresAt,
 * createdAt}, the seated one also the seat ids (comma-separated).
 */
export function placedHold(
  request: { eventId: string; categoryId: string; userId: string; quantity: number },
  reply: ScriptReply,
): Hold {
  const seats = reply[4] ? String(reply[4]).split(',') : undefined;
  return {
    ...(seats ? { seats } : {}),
    id: String(reply[1]),
    eventId: request.eventId,
    categoryId: request.categoryId,
    userId: request.userId,
    quantity: request.quantity,
    status: 'held',
    expiresAt: Number(reply[2]),
    createdAt: Number(reply[3]),
    seq: 1,
  };
}
