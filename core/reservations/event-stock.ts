// An event's live side in Redis: its sale state and hold rules, its categories' stock, the
// waiting room's settings, and the reads a crowd makes of them (availability, the view).

import type { RedisClient } from '../../platform/redis.js';
import { type DropAccess, dropAccessOf, NO_DROP_ACCESS } from '../catalog/drop-access.js';
import type { EventRow } from '../catalog/events.js';
import type { SeatMapInput } from '../catalog/seat-map.js';
import { NO_WAITING_ROOM, type WaitingRoom, waitingRoomOf } from '../catalog/waiting-room.js';
import { check } from './hold.js';
import type { Keyspace } from './keys.js';
import type { RunScript } from './scripts.js';
import { seedSeatMap } from './seating.js';

export interface EventState {
  status: string;
  holdTtlSeconds: number;
  perUserLimit: number;
  /** the waiting room (SPEC §7); none when absent */
  waitingRoom?: WaitingRoom;
  /** presale and proof-of-work gate (SPEC §9); none when absent */
  access?: DropAccess;
}

/** What Redis keeps of an event (its sale state, hold rules and waiting room), from its row. */
export const eventStateOf = (row: EventRow, defaultHoldTtlSeconds: number): EventState => ({
  status: row.status,
  holdTtlSeconds: row.holdTtlSeconds ?? defaultHoldTtlSeconds,
  perUserLimit: row.perUserLimit,
  waitingRoom: waitingRoomOf(row),
  access: dropAccessOf(row),
});

export interface CategoryStock {
  id: string;
  name: string;
  capacity: number;
  held: number;
  confirmed: number;
  available: number;
  perUserLimit: number;
  /** a seated category's seat version (bumped by every seat change); none when unseated */
  seatsVersion?: number;
}

/** An event as a crowd sees it, read in one step (EventStock.view). */
export interface EventView {
  state: EventState;
  /** Redis restarted and the event is not verified yet: its stock may be stale */
  fenced: boolean;
  categories: CategoryStock[];
  /** the waiting room's admission state (SPEC §7) */
  queue: {
    enabled: boolean;
    /** the sale has opened once: the pre-queue's order is fixed */
    opened: boolean;
    admitPerSecond: number;
    admittedTotal: number;
    /** ms; null before the first admission */
    firstAdmitAt: number | null;
    soldOut: boolean;
    waiting: number;
  };
  /** Redis's clock at the read (ms) */
  at: number;
  /** the drop-access gates (SPEC §9); every read sets it (none: views made by hand) */
  access?: DropAccess;
}

/** The sale state at the head of an availability or view reply. */
function saleStateOfReply(reply: string[]): EventState {
  const [status, holdTtl, perUserLimit] = reply;
  return {
    status: status as string,
    holdTtlSeconds: Number(holdTtl),
    perUserLimit: Number(perUserLimit),
  };
}

/** The categories of an availability or view reply, seven fields each from `from` on. */
function categoriesOfReply(reply: string[], from: number): CategoryStock[] {
  const categories: CategoryStock[] = [];
  for (let i = from; i + 7 <= reply.length; i += 7) {
    const [id, name, capacity, held, confirmed, limit, seats] = reply.slice(i, i + 7) as string[];
    const category: CategoryStock = {
      id: id as string,
      name: name as string,
      capacity: Number(capacity),
      held: Number(held),
      confirmed: Number(confirmed),
      available: Number(capacity) - Number(held) - Number(confirmed),
      perUserLimit: Number(limit),
    };
    if (seats) category.seatsVersion = Number(seats);
    categories.push(category);
  }
  categories.sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
  return categories;
}

/** The view of lua/eventView-4.lua's reply; null for an event Redis does not know. */
export function eventViewOfReply(reply: string[]): EventView | null {
  if (reply.length === 0) return null;
  const [, , , fenced, room, opened, rate, admitted, firstAdmitAt, soldOut, waiting, now] = reply;
  const [presaleEndsAt, challengeMax] = [reply[12], reply[13]];
  return {
    state: saleStateOfReply(reply),
    fenced: fenced === '1',
    categories: categoriesOfReply(reply, 14),
    queue: {
      enabled: room === '1',
      opened: opened === '1',
      admitPerSecond: Number(rate),
      admittedTotal: Number(admitted),
      firstAdmitAt: firstAdmitAt ? Number(firstAdmitAt) : null,
      soldOut: soldOut === '1',
      waiting: Number(waiting),
    },
    at: Number(now),
    access: { presaleEndsAt: Number(presaleEndsAt), challengeMaxNumber: Number(challengeMax) },
  };
}

export function createEventStock(redis: RedisClient, keys: Keyspace, run: RunScript) {
  const eventKeys = keys.event;

  /** An event's sale state and the live stock of each category: one script, one round trip. */
  async function availability(
    eventId: string,
  ): Promise<{ state: EventState; categories: CategoryStock[] } | null> {
    const k = eventKeys(eventId);
    const reply = (await run('availability', [k.event, k.categories], [k.categoryPrefix])).map(
      String,
    );
    if (reply.length === 0) return null;
    return { state: saleStateOfReply(reply), categories: categoriesOfReply(reply, 3) };
  }

  return {
    /**
     * An event's sale state and hold rules. `created`: the event was just created, so a new
     * event hash is verified for this Redis boot at once (see lua/includes/fence.lua).
     */
    async setEventState(
      eventId: string,
      state: EventState,
      options: { created?: boolean } = {},
    ): Promise<void> {
      const k = eventKeys(eventId);
      const room = state.waitingRoom ?? NO_WAITING_ROOM;
      const access = state.access ?? NO_DROP_ACCESS;
      check(
        await run(
          'setEventState',
          [k.event],
          [
            state.status,
            state.holdTtlSeconds,
            state.perUserLimit,
            options.created ? '1' : '',
            room.enabled ? '1' : '0',
            room.enabled ? (room.admitPerSecond ?? 0) : 0,
            room.passTtlSeconds,
            access.presaleEndsAt,
            access.challengeMaxNumber,
          ],
        ),
      );
      await redis.sadd(keys.liveEvents, eventId);
      // The api's event views hear of a new state (api/event-views.ts).
      await redis.spublish(k.event, 'state');
      // The reaper admits from the queues of these events.
      if (room.enabled) await redis.sadd(keys.queuedEvents, eventId);
      else await redis.srem(keys.queuedEvents, eventId);
    },

    /**
     * Seeds or adjusts a category's stock; returns what is available afterwards. A seated
     * category (one with a seat map) is seeded with its seats (seating.ts).
     */
    async setCategory(
      eventId: string,
      category: {
        id: string;
        name: string;
        capacity: number;
        perUserLimit: number | null;
        seatMap?: SeatMapInput | null;
        noSingleSeatGaps?: boolean;
        blockedSeats?: string[];
      },
    ): Promise<number> {
      const k = eventKeys(eventId);
      const { seatMap } = category;
      if (seatMap) {
        const available = await seedSeatMap(run, k, {
          ...category,
          seatMap,
          noSingleSeatGaps: category.noSingleSeatGaps ?? false,
          blockedSeats: category.blockedSeats ?? [],
        });
        await redis.sadd(keys.liveEvents, eventId);
        await redis.spublish(k.event, 'category');
        return available;
      }
      const reply = check(
        await run(
          'setCategory',
          [k.category(category.id), k.categories],
          [category.id, category.capacity, category.perUserLimit ?? 0, category.name],
        ),
      );
      await redis.sadd(keys.liveEvents, eventId);
      await redis.spublish(k.event, 'category');
      return Number(reply[1]);
    },

    /** Forgets an event's stock (it was deleted, without reservations). */
    async forgetEvent(eventId: string): Promise<void> {
      const k = eventKeys(eventId);
      const categories = await redis.smembers(k.categories);
      // One slot: a multi-key DEL is fine on a cluster too.
      await redis.del(
        k.event,
        k.categories,
        k.expiry,
        k.outbox,
        k.queue,
        k.queueJoined,
        k.queueAdmitted,
        k.queueState,
        ...categories.flatMap((c) => [k.category(c), k.seats(c), k.seatPositions(c), k.seatIds(c)]),
      );
      await redis.srem(keys.liveEvents, eventId);
      await redis.srem(keys.queuedEvents, eventId);
    },

    /** Whether Redis holds any stock of the event (a rebuild only runs where it does not). */
    async hasStock(eventId: string): Promise<boolean> {
      return (await redis.exists(eventKeys(eventId).categories)) === 1;
    },

    availability,

    async eventState(eventId: string): Promise<EventState | null> {
      return (await availability(eventId))?.state ?? null;
    },

    /** Live stock of every category of an event. */
    async stock(eventId: string): Promise<CategoryStock[]> {
      return (await availability(eventId))?.categories ?? [];
    },

    /**
     * What a crowd asks about an event, in one read (lua/eventView-4.lua): the sale state,
     * every category's live stock, and the waiting room's admission state.
     */
    async view(eventId: string): Promise<EventView | null> {
      const k = eventKeys(eventId);
      const reply = await run(
        'eventView',
        [k.event, k.categories, k.queue, k.queueState],
        [k.categoryPrefix],
      );
      return eventViewOfReply(reply.map(String));
    },

    /** The events whose stock lives in Redis. */
    async liveEvents(): Promise<string[]> {
      return redis.smembers(keys.liveEvents);
    },
  };
}

export type EventStock = ReturnType<typeof createEventStock>;
