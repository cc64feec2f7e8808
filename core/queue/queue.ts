// The waiting room's queue (SPEC §7): the typed face of its Lua scripts. Every change is
// one script under the event's hash tag, with Redis's clock:
//   joinQueue   take a place (a uniform shuffle before the open, first come after)
//   queueTicket read one user's place: O(log n) (ZRANK)
//   queueStatus the public summary
//   admitQueue  admit at the event's rate, notice sold out, count expired passes (reaper)
import { randomBytes } from 'node:crypto';
import type { RedisClient } from '../../platform/redis.js';
import { check } from '../reservations/hold.js';
import { keyspace } from '../reservations/keys.js';
import { type RunScript, scriptRunnerOf } from '../reservations/scripts.js';

export const TICKET_STATUSES = ['waiting', 'admitted', 'expired', 'sold_out', 'closed'] as const;
export type TicketStatus = (typeof TICKET_STATUSES)[number];

export const QUEUE_STATUSES = ['pre_queue', 'admitting', 'paused', 'sold_out', 'closed'] as const;
export type QueueStatus = (typeof QUEUE_STATUSES)[number];

/** A user's place as Redis keeps it; the pass itself is signed by the api. */
export interface QueuePlace {
  eventId: string;
  userId: string;
  status: TicketStatus;
  /** 1-based place among those waiting; 0 once out of the queue */
  position: number;
  aheadOfYou: number;
  estimatedWaitSeconds: number;
  joinedAt: number;
  /** ms; set once admitted */
  passExpiresAt: number | null;
  /** the queue's score of the place ('' once out of the queue) */
  place: string;
  /** 1-based turn in the admission order, fixed once the sale opened; 0 before (tickets.ts) */
  turn: number;
}

export interface QueueSummary {
  status: QueueStatus;
  waiting: number;
  admittedTotal: number;
  admitPerSecond: number;
}

export interface Admission {
  admitted: number;
  passesExpired: number;
  soldOut: boolean;
  /** how long each admitted user waited, ms */
  waitsMs: number[];
}

/** A uniform draw in [0, 2^52): the pre-queue's order (two CSPRNG words, no float bias). */
function draw(): string {
  const b = randomBytes(7);
  return String(b.readUIntBE(0, 6) * 16 + ((b[6] as number) % 16));
}

function placeOf(eventId: string, userId: string, reply: (string | number)[]): QueuePlace {
  const [, status, rank, joinedAt, passExpiresAt, , admitted, rate, place, opened] = reply;
  const r = Number(rank);
  const waiting = status === 'waiting' || status === 'sold_out';
  const position = waiting && r >= 0 ? r + 1 : 0;
  const perSecond = Number(rate);
  return {
    eventId,
    userId,
    status: status as TicketStatus,
    position,
    aheadOfYou: position > 0 ? r : 0,
    estimatedWaitSeconds:
      status === 'waiting' && perSecond > 0 ? Math.ceil(position / perSecond) : 0,
    joinedAt: Number(joinedAt),
    passExpiresAt: passExpiresAt === '' ? null : Number(passExpiresAt),
    place: String(place ?? ''),
    turn: opened === '1' && position > 0 ? Number(admitted) + position : 0,
  };
}

export function createQueue(
  redis: RedisClient,
  prefix = '',
  run: RunScript = scriptRunnerOf(redis),
) {
  const keys = keyspace(prefix);
  const queueKeys = (eventId: string) => {
    const k = keys.event(eventId);
    return [k.event, k.queue, k.queueJoined, k.queueAdmitted, k.queueState];
  };

  return {
    /** Takes the user's place once; `created` is false when they had one already. */
    async join(eventId: string, userId: string): Promise<{ place: QueuePlace; created: boolean }> {
      const reply = check(await run('joinQueue', queueKeys(eventId), [userId, draw()]));
      return { place: placeOf(eventId, userId, reply), created: Number(reply[0]) === 1 };
    },

    async place(eventId: string, userId: string): Promise<QueuePlace> {
      const reply = check(await run('queueTicket', queueKeys(eventId), [userId]));
      return placeOf(eventId, userId, reply);
    },

    async summary(eventId: string): Promise<QueueSummary> {
      const k = keys.event(eventId);
      const [, eventStatus, opened, soldOut, waiting, admitted, rate] = check(
        await run('queueStatus', [k.event, k.queue, k.queueState], []),
      );
      const status: QueueStatus =
        eventStatus === 'closed' || eventStatus === 'cancelled'
          ? 'closed'
          : soldOut === '1'
            ? 'sold_out'
            : eventStatus === 'on_sale'
              ? 'admitting'
              : opened === '1'
                ? 'paused'
                : 'pre_queue';
      return {
        status,
        waiting: Number(waiting),
        admittedTotal: Number(admitted),
        admitPerSecond: Number(rate),
      };
    },

    /** One admission step for the event (reaper); admits at most `maxBatch` users. */
    async admit(eventId: string, maxBatch: number): Promise<Admission> {
      const k = keys.event(eventId);
      const reply = check(
        await run(
          'admitQueue',
          [k.event, k.queue, k.queueJoined, k.queueAdmitted, k.queueState, k.categories],
          [k.categoryPrefix, maxBatch],
        ),
      );
      const [admitted, expired, soldOut, admittedAt, ...joined] = reply.map(Number);
      return {
        admitted: admitted as number,
        passesExpired: expired as number,
        soldOut: soldOut === 1,
        waitsMs: joined.filter((j) => j > 0).map((j) => (admittedAt as number) - j),
      };
    },

    /** Events whose waiting room is enabled. */
    queuedEvents(): Promise<string[]> {
      return redis.smembers(keys.queuedEvents);
    },
  };
}

export type Queue = ReturnType<typeof createQueue>;
