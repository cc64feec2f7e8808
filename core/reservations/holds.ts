// Holds: the typed face of the Lua scripts (one function per state change) and the reads
// around them. Redis is the authority for live stock and holds; every change here is one
// atomic script that also appends to the event's outbox.

import { Counter, type Registry } from 'prom-client';
import { RESERVATION_STATUSES } from '../../drizzle/schema/index.js';
import { childrenByKey, hotHistogram } from '../../platform/hot-metrics.js';
import type { RedisClient } from '../../platform/redis.js';
import { NO_WAITING_ROOM, type WaitingRoom } from '../queue/waiting-room.js';
import { eventOfHoldId, newHoldId } from './hold-ids.js';
import { keyspace } from './keys.js';
import { type RunScript, scriptRunnerOf } from './scripts.js';

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
}

export interface HoldRules {
  /** Ended holds stay readable this long (≥ 24 h). */
  retentionMs: number;
  /** An Idempotency-Key is remembered this long (≥ 24 h). */
  idempotencyTtlMs: number;
  /** A hold's life when its event sets none. */
  defaultHoldTtlSeconds: number;
  /** How long a payment may take; a confirming hold lives at least this long. */
  paymentWindowMs: number;
  /** Before every key (REDIS_KEY_PREFIX): isolates engines sharing one Redis. */
  keyPrefix?: string;
}

export const DEFAULT_RULES: Omit<HoldRules, 'defaultHoldTtlSeconds' | 'paymentWindowMs'> = {
  retentionMs: 48 * 3600_000,
  idempotencyTtlMs: 24 * 3600_000,
};

type Reply = (string | number)[];

function check(reply: Reply): Reply {
  const code = Number(reply[0]);
  if (code < 0) throw new HoldRefusal(code as HoldError, reply.slice(1).map(String));
  return reply;
}

/** Parses holdReply's layout: {code, id, eventId, categoryId, userId, quantity, status, ...}. */
function parseHold(reply: Reply): Hold {
  const [
    ,
    id,
    eventId,
    categoryId,
    userId,
    quantity,
    status,
    expiresAt,
    createdAt,
    confirmedAt,
    endedAt,
    seq,
    eventSeq,
  ] = reply.map(String);
  return {
    id: id as string,
    eventId: eventId as string,
    categoryId: categoryId as string,
    userId: userId as string,
    quantity: Number(quantity),
    status: status as HoldStatus,
    expiresAt: Number(expiresAt),
    createdAt: Number(createdAt),
    confirmedAt: confirmedAt ? Number(confirmedAt) : undefined,
    endedAt: endedAt ? Number(endedAt) : undefined,
    seq: Number(seq),
    eventSeq: eventSeq ? Number(eventSeq) : undefined,
  };
}

function holdFromHash(h: Record<string, string>): Hold | null {
  if (!h.id) return null;
  return {
    id: h.id,
    eventId: h.eventId as string,
    categoryId: h.categoryId as string,
    userId: h.userId as string,
    quantity: Number(h.quantity),
    status: h.status as HoldStatus,
    expiresAt: Number(h.expiresAt),
    createdAt: Number(h.createdAt),
    confirmedAt: h.confirmedAt ? Number(h.confirmedAt) : undefined,
    endedAt: h.endedAt ? Number(h.endedAt) : undefined,
    seq: Number(h.seq),
  };
}

export interface EventState {
  status: string;
  holdTtlSeconds: number;
  perUserLimit: number;
  /** the waiting room (SPEC §7); none when absent */
  waitingRoom?: WaitingRoom;
}

export interface CategoryStock {
  id: string;
  name: string;
  capacity: number;
  held: number;
  confirmed: number;
  available: number;
  perUserLimit: number;
}

/** An event as a crowd sees it, read in one step (Holds.view). */
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
}

export interface Idempotency {
  key: string;
  fingerprint: string;
}

/** The sale state at the head of an availability or view reply. */
function eventStateOf(reply: string[]): EventState {
  const [status, holdTtl, perUserLimit] = reply;
  return {
    status: status as string,
    holdTtlSeconds: Number(holdTtl),
    perUserLimit: Number(perUserLimit),
  };
}

/** The categories of an availability or view reply, six fields each from `from` on. */
function categoriesOf(reply: string[], from: number): CategoryStock[] {
  const categories: CategoryStock[] = [];
  for (let i = from; i + 6 <= reply.length; i += 6) {
    const [id, name, capacity, held, confirmed, limit] = reply.slice(i, i + 6) as string[];
    categories.push({
      id: id as string,
      name: name as string,
      capacity: Number(capacity),
      held: Number(held),
      confirmed: Number(confirmed),
      available: Number(capacity) - Number(held) - Number(confirmed),
      perUserLimit: Number(limit),
    });
  }
  categories.sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
  return categories;
}

export function createHolds(
  redis: RedisClient,
  rules: HoldRules,
  run: RunScript = scriptRunnerOf(redis),
) {
  const keys = keyspace(rules.keyPrefix);
  const eventKeys = keys.event;

  /** The keys of the event a hold id names; a refusal for a string that is no hold id. */
  function holdKeys(holdId: string) {
    const eventId = eventOfHoldId(holdId);
    if (!eventId) throw new HoldRefusal(HoldError.HoldNotFound, []);
    return eventKeys(eventId);
  }

  /**
   * Claims a user's Idempotency-Key across events (the scripts keep it per event). Two
   * different bodies under one key are refused here even when they name other events.
   */
  async function claimKey(userId: string, idem: Idempotency): Promise<void> {
    const key = keys.userIdempotency(userId, idem.key);
    const set = await redis.set(key, idem.fingerprint, 'PX', rules.idempotencyTtlMs, 'NX');
    if (set) return;
    const existing = await redis.get(key);
    if (existing !== null && existing !== idem.fingerprint) {
      throw new HoldRefusal(HoldError.IdempotencyKeyReused, []);
    }
  }

  /** Idempotency of a payment's outcome; `claimed` when beginConfirm claimed the key. */
  type PaymentIdempotency = Idempotency & { claimed?: boolean };

  /** Records how a payment ended: confirm (the sale) or failPayment (held again). */
  async function paymentOutcome(
    script: 'confirm' | 'failPayment',
    holdId: string,
    userId: string,
    idempotency?: PaymentIdempotency,
  ): Promise<{ hold: Hold; replayed: boolean }> {
    const k = holdKeys(holdId);
    if (idempotency && !idempotency.claimed) await claimKey(userId, idempotency);
    const idemKey = k.idempotency(userId, idempotency?.key ?? '-');
    const fingerprint = idempotency?.fingerprint ?? '';
    const reply = check(
      script === 'confirm'
        ? await run(
            'confirm',
            [k.hold(holdId), k.expiry, k.outbox, idemKey],
            [userId, fingerprint, rules.idempotencyTtlMs, k.base],
          )
        : await run(
            'failPayment',
            [k.hold(holdId), k.expiry, idemKey],
            [userId, fingerprint, rules.idempotencyTtlMs, k.base],
          ),
    );
    return { hold: parseHold(reply), replayed: Number(reply[0]) === 2 };
  }

  return {
    keys,

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

    /** Seeds or adjusts a category's stock; returns what is available afterwards. */
    async setCategory(
      eventId: string,
      category: { id: string; name: string; capacity: number; perUserLimit: number | null },
    ): Promise<number> {
      const k = eventKeys(eventId);
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

    /**
     * Places a hold: one round trip (two with an Idempotency-Key, whose claim spans events).
     * `replayed` is true when an Idempotency-Key returned the original.
     */
    async reserve(input: {
      eventId: string;
      categoryId: string;
      userId: string;
      quantity: number;
      idempotency?: Idempotency;
      /** the queue pass as checked by the caller: its id, 'invalid', or none sent */
      queuePass?: string;
    }): Promise<{ hold: Hold; replayed: boolean }> {
      const { eventId, categoryId, userId, quantity, idempotency } = input;
      if (idempotency) await claimKey(userId, idempotency);
      const holdId = newHoldId(eventId);
      const k = eventKeys(eventId);
      const reply = check(
        await run(
          'reserve',
          [
            k.event,
            k.category(categoryId),
            k.user(userId),
            k.hold(holdId),
            k.expiry,
            k.outbox,
            k.idempotency(userId, idempotency?.key ?? '-'),
          ],
          [
            holdId,
            eventId,
            categoryId,
            userId,
            quantity,
            idempotency?.fingerprint ?? '',
            rules.idempotencyTtlMs,
            rules.defaultHoldTtlSeconds,
            input.queuePass ?? '',
          ],
        ),
      );
      const id = String(reply[1]);
      return {
        replayed: Number(reply[0]) === 2,
        hold: {
          id,
          eventId,
          categoryId,
          userId,
          quantity,
          status: 'held',
          expiresAt: Number(reply[2]),
          createdAt: Number(reply[3]),
          seq: 1,
        },
      };
    },

    /** A payment that takes time begins: held (or an interrupted confirming) → confirming. */
    async beginConfirm(holdId: string, userId: string, idempotency?: Idempotency) {
      const k = holdKeys(holdId);
      if (idempotency) await claimKey(userId, idempotency);
      const reply = check(
        await run(
          'beginConfirm',
          [k.hold(holdId), k.expiry, k.idempotency(userId, idempotency?.key ?? '-')],
          [userId, idempotency?.fingerprint ?? '', rules.paymentWindowMs, k.base],
        ),
      );
      return { hold: parseHold(reply), alreadyConfirmed: Number(reply[0]) === 2 };
    },

    /**
     * Payment succeeded: held or confirming → confirmed, in one round trip (two with an
     * Idempotency-Key not claimed yet by beginConfirm). `replayed`: it was confirmed before.
     */
    confirm: (holdId: string, userId: string, idempotency?: PaymentIdempotency) =>
      paymentOutcome('confirm', holdId, userId, idempotency),

    /**
     * Payment refused: the hold is held (again, with its original expiry). A confirmed
     * answer means it was confirmed before: `replayed`, and the sale stands.
     */
    failPayment: (holdId: string, userId: string, idempotency?: PaymentIdempotency) =>
      paymentOutcome('failPayment', holdId, userId, idempotency),

    /** The owner gives tickets back: a held hold is released, a confirmed sale cancelled. */
    async giveBack(holdId: string, userId: string): Promise<Hold> {
      const k = holdKeys(holdId);
      const reply = check(
        await run(
          'giveBack',
          [k.hold(holdId), k.user(userId), k.expiry, k.outbox],
          [userId, rules.retentionMs, k.base],
        ),
      );
      return parseHold(reply);
    },

    /** Expires a due hold (the reaper). Returns how late (ms) it was expired. */
    async expire(eventId: string, holdId: string): Promise<number> {
      const k = eventKeys(eventId);
      const reply = check(
        await run(
          'expire',
          [k.hold(holdId), k.expiry, k.outbox],
          [holdId, rules.retentionMs, k.base],
        ),
      );
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
        ...categories.map((c) => k.category(c)),
      );
      await redis.srem(keys.liveEvents, eventId);
      await redis.srem(keys.queuedEvents, eventId);
    },

    /** Whether Redis holds any stock of the event (a rebuild only runs where it does not). */
    async hasStock(eventId: string): Promise<boolean> {
      return (await redis.exists(eventKeys(eventId).categories)) === 1;
    },

    /**
     * Puts a hold back as the durable record says it is, after a data loss (the event is
     * fenced); `evict` ends it as expired instead (it did not fit in the capacity). False
     * when Redis already has it at that step or later.
     */
    async restore(hold: Hold, options: { evict?: boolean } = {}): Promise<boolean> {
      const k = eventKeys(hold.eventId);
      const reply = check(
        await run(
          'restoreHold',
          [k.hold(hold.id), k.expiry, k.outbox, k.event],
          [
            hold.id,
            hold.eventId,
            hold.categoryId,
            hold.userId,
            hold.quantity,
            hold.status,
            hold.expiresAt,
            hold.createdAt,
            hold.confirmedAt ?? '',
            hold.endedAt ?? '',
            hold.seq,
            rules.retentionMs,
            options.evict ? '1' : '',
          ],
        ),
      );
      return Number(reply[0]) === 1;
    },

    /** A category's counts and its holders' totals, recomputed after a data loss. */
    async setCounts(
      eventId: string,
      categoryId: string,
      counts: { held: number; confirmed: number },
      holders: { userId: string; total: number; inCategory: number }[],
    ): Promise<void> {
      const k = eventKeys(eventId);
      check(
        await run(
          'setCounts',
          [k.category(categoryId), k.event],
          [
            categoryId,
            counts.held,
            counts.confirmed,
            k.base,
            ...holders.flatMap((u) => [u.userId, u.total, u.inCategory]),
          ],
        ),
      );
    },

    /**
     * The event's fence, and the boot of the Redis node that holds it (LASTSAVE, set when
     * Redis starts, and its run_id): what a verification of the event is made against.
     */
    async fence(eventId: string) {
      const [boot, verifiedBoot, changeSeq, status, verifiedRun, runId] = (
        await run('eventFence', [eventKeys(eventId).event], ['1'])
      ).map(String) as [string, string, string, string, string, string];
      return {
        /** the boot to verify against */
        at: { boot, runId },
        exists: status !== '',
        verified: verifiedBoot === boot && status !== 'rebuilding',
        /** the Redis run_id the event was last verified on */
        verifiedRun,
        changeSeq: Number(changeSeq),
      };
    },

    /** Whether each event is verified for the boot of the Redis node that holds it. */
    async fences(eventIds: string[]): Promise<{ verified: boolean }[]> {
      // One script per event: on a cluster the events live on different nodes.
      return Promise.all(
        eventIds.map(async (id) => {
          const [boot, verifiedBoot, , status] = (
            await run('eventFence', [eventKeys(id).event], ['0'])
          ).map(String);
          return { verified: verifiedBoot === boot && status !== 'rebuilding' };
        }),
      );
    },

    /**
     * The event is complete against the durable record (which holds changes up to
     * `changeSeq`) on Redis boot `boot`: its holds may change again. False when Redis
     * booted again meanwhile.
     */
    async markVerified(
      eventId: string,
      changeSeq: number,
      at: { boot: string; runId: string },
    ): Promise<boolean> {
      const reply = check(
        await run('markVerified', [eventKeys(eventId).event], [changeSeq, at.boot, at.runId]),
      );
      return Number(reply[0]) === 1;
    },

    /** Fences the event until it is verified again (an operator's rebuild). */
    async unverify(eventId: string): Promise<void> {
      await redis.hdel(eventKeys(eventId).event, 'verifiedBoot');
    },

    /**
     * Which boots the Redis nodes are on (LASTSAVE and run_id of each master, or of the one
     * node): changes when any node restarts (or snapshots), so the verifier then walks
     * every event the record says this engine's Redis held.
     */
    async boots(): Promise<string> {
      const nodes = 'nodes' in redis ? redis.nodes('master') : [redis];
      const each = await Promise.all(
        nodes.map(async (node) => {
          const [lastsave, info] = await Promise.all([node.lastsave(), node.info('server')]);
          return `${/run_id:(\w+)/.exec(info)?.[1] ?? '?'}@${lastsave}`;
        }),
      );
      return each.sort().join(',');
    },

    /** Many holds of one event at once (null where Redis has none), in one round trip. */
    async findMany(eventId: string, holdIds: string[]): Promise<(Hold | null)[]> {
      const k = eventKeys(eventId);
      const pipeline = redis.pipeline();
      for (const id of holdIds) pipeline.hgetall(k.hold(id));
      const results = (await pipeline.exec()) ?? [];
      return results.map(([err, value]) => {
        if (err) throw err;
        return holdFromHash(value as Record<string, string>);
      });
    },

    /** Outbox entries of the event not yet relayed to Kafka. */
    async outboxLength(eventId: string): Promise<number> {
      return redis.xlen(eventKeys(eventId).outbox);
    },

    /** A hold by id, or null when Redis does not know it (any more). */
    async find(holdId: string): Promise<Hold | null> {
      const eventId = eventOfHoldId(holdId);
      if (!eventId) return null;
      return holdFromHash(await redis.hgetall(eventKeys(eventId).hold(holdId)));
    },

    async eventState(eventId: string): Promise<EventState | null> {
      return (await this.availability(eventId))?.state ?? null;
    },

    /** An event's sale state and the live stock of each category: one script, one round trip. */
    async availability(
      eventId: string,
    ): Promise<{ state: EventState; categories: CategoryStock[] } | null> {
      const k = eventKeys(eventId);
      const reply = (await run('availability', [k.event, k.categories], [k.categoryPrefix])).map(
        String,
      );
      if (reply.length === 0) return null;
      return { state: eventStateOf(reply), categories: categoriesOf(reply, 3) };
    },

    /**
     * What a crowd asks about an event, in one read (lua/eventView-4.lua): the sale state,
     * every category's live stock, and the waiting room's admission state.
     */
    async view(eventId: string): Promise<EventView | null> {
      const k = eventKeys(eventId);
      const reply = (
        await run('eventView', [k.event, k.categories, k.queue, k.queueState], [k.categoryPrefix])
      ).map(String);
      if (reply.length === 0) return null;
      const [, , , fenced, room, opened, rate, admitted, firstAdmitAt, soldOut, waiting, now] =
        reply;
      return {
        state: eventStateOf(reply),
        fenced: fenced === '1',
        categories: categoriesOf(reply, 12),
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
      };
    },

    /** Live stock of every category of an event. */
    async stock(eventId: string): Promise<CategoryStock[]> {
      return (await this.availability(eventId))?.categories ?? [];
    },

    /** Live holds of an event due by `nowMs`, oldest first (for the reaper). */
    async due(eventId: string, nowMs: number, limit: number): Promise<string[]> {
      return redis.zrangebyscore(eventKeys(eventId).expiry, '-inf', nowMs, 'LIMIT', 0, limit);
    },

    async liveEvents(): Promise<string[]> {
      return redis.smembers(keys.liveEvents);
    },

    /** Redis's clock, in ms. */
    async nowMs(): Promise<number> {
      const [seconds, micros] = await redis.time();
      return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
    },
  };
}

export type Holds = ReturnType<typeof createHolds>;

/** Holds with the rules from the configuration. */
export function createHoldsFromConfig(
  redis: RedisClient,
  config: {
    HOLD_TTL_SECONDS: number;
    PAYMENT_WINDOW_SECONDS: number;
    REDIS_KEY_PREFIX: string;
    REDIS_WAIT_REPLICAS?: number;
    REDIS_WAIT_TIMEOUT_MS?: number;
  },
  registry?: Registry,
): Holds {
  const latency =
    registry &&
    hotHistogram({
      name: 'redis_script_duration_seconds',
      help: 'Lua script calls, by script, as the caller sees them (round trip included)',
      labelNames: ['script'] as const,
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5],
      registers: [registry],
    });
  const latencyOf = latency && childrenByKey((script) => latency.child({ script }));
  const waitShort =
    registry &&
    new Counter({
      name: 'redis_wait_short_total',
      help: 'State changes answered before REDIS_WAIT_REPLICAS replicas acknowledged them',
      labelNames: ['script'] as const,
      registers: [registry],
    });
  const run = scriptRunnerOf(redis, {
    observe: latencyOf && ((script, s) => latencyOf(script).observe(s)),
    wait: {
      replicas: config.REDIS_WAIT_REPLICAS ?? 0,
      timeoutMs: config.REDIS_WAIT_TIMEOUT_MS ?? 100,
      short: (script) => waitShort?.inc({ script }),
    },
  });
  return createHolds(
    redis,
    {
      ...DEFAULT_RULES,
      keyPrefix: config.REDIS_KEY_PREFIX,
      defaultHoldTtlSeconds: config.HOLD_TTL_SECONDS,
      paymentWindowMs: config.PAYMENT_WINDOW_SECONDS * 1000,
    },
    run,
  );
}
