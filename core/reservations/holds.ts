// Holds: the typed face of the Lua scripts (one function per state change) and the reads
// around them. Redis is the authority for live stock and holds; every change here is one
// atomic script that also appends to the event's outbox. A hold's life cycle lives here;
// the event's stock (event-stock.ts) and the recovery after a data loss (recovery.ts) are
// served by the same facade, on the same script runner.
import type { Registry } from 'prom-client';
import { hotHistogram } from '../../platform/hot-metrics.js';
import type { RedisClient } from '../../platform/redis.js';
import { tracedRequestId, traceparentOf, tracingOn } from '../../platform/tracing.js';
import { createEventStock } from './event-stock.js';
import {
  check,
  type Hold,
  HoldError,
  HoldRefusal,
  holdOf,
  holdOfReply,
  type Idempotency,
  placedHold,
  replayed,
} from './hold.js';
import { eventOfHoldId, newHoldId } from './hold-ids.js';
import { endHoldSpan, endRefusedHoldSpan, groupedInto, startHoldSpan } from './hold-spans.js';
import { type Keyspace, keyspace } from './keys.js';
import { createRecovery } from './recovery.js';
import { createReserveBatcher } from './reserve-batch.js';
import { configuredScriptRunner, type RunScript, scriptRunnerOf } from './scripts.js';
import { createSeating } from './seating.js';

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
  /** The most reserves of one event placed by one script call (group commit); 1: none. */
  reserveBatchMax?: number;
  /** Told the size of each group of reserves sent (a metric). */
  reserveGroupSent?: (size: number) => void;
}

export const DEFAULT_RESERVE_BATCH_MAX = 8;

export const DEFAULT_RULES: Omit<HoldRules, 'defaultHoldTtlSeconds' | 'paymentWindowMs'> = {
  retentionMs: 48 * 3600_000,
  idempotencyTtlMs: 24 * 3600_000,
};

/** A hold's life cycle: placed, paid for or given back, expired; and the reads of holds. */
function createHoldLifeCycle(redis: RedisClient, keys: Keyspace, run: RunScript, rules: HoldRules) {
  const eventKeys = keys.event;
  const batcher = createReserveBatcher(run, eventKeys, {
    maxBatch: rules.reserveBatchMax ?? DEFAULT_RESERVE_BATCH_MAX,
    idempotencyTtlMs: rules.idempotencyTtlMs,
    defaultHoldTtlSeconds: rules.defaultHoldTtlSeconds,
    sent: rules.reserveGroupSent,
  });

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
    // The event's id is read from the hold's only for a traced request.
    const span = tracingOn() ? startHoldSpan(script, eventOfHoldId(holdId) ?? '') : undefined;
    try {
      if (idempotency && !idempotency.claimed) await claimKey(userId, idempotency);
      const idemKey = k.idempotency(userId, idempotency?.key ?? '-');
      const fingerprint = idempotency?.fingerprint ?? '';
      const args = [userId, fingerprint, rules.idempotencyTtlMs, k.base];
      // The confirmation's outbox entry carries the trace on, and the request's id
      // (confirm-4.lua's ARGV[5], ARGV[6]).
      if (span && script === 'confirm') args.push(traceparentOf(span), tracedRequestId() ?? '');
      const reply = check(
        script === 'confirm'
          ? await run('confirm', [k.hold(holdId), k.expiry, k.outbox, idemKey], args)
          : await run('failPayment', [k.hold(holdId), k.expiry, idemKey], args),
      );
      const outcome = { hold: holdOfReply(reply), replayed: replayed(reply) };
      if (span) endHoldSpan(span, outcome.replayed ? 'replayed' : 'changed', holdId);
      return outcome;
    } catch (err) {
      if (span) endRefusedHoldSpan(span, err);
      throw err;
    }
  }

  return {
    /**
     * Places a hold: one round trip (two with an Idempotency-Key, whose claim spans events),
     * shared with the other reserves of the event in this turn (reserve-batch.ts).
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
      // Undefined unless the request is traced: then its outbox entry carries the trace on,
      // and the request's id.
      const span = startHoldSpan('reserve', eventId);
      try {
        if (idempotency) await claimKey(userId, idempotency);
        const holdId = newHoldId(eventId);
        const reply = check(
          await batcher.place(
            {
              holdId,
              eventId,
              categoryId,
              userId,
              quantity,
              fingerprint: idempotency?.fingerprint ?? '',
              idemKey: eventKeys(eventId).idempotency(userId, idempotency?.key ?? '-'),
              queuePass: input.queuePass ?? '',
              traceparent: span && traceparentOf(span),
              requestId: span && tracedRequestId(),
            },
            span && groupedInto(span),
          ),
        );
        const placed = { hold: placedHold(input, reply), replayed: replayed(reply) };
        if (span) endHoldSpan(span, placed.replayed ? 'replayed' : 'placed', placed.hold.id);
        return placed;
      } catch (err) {
        if (span) endRefusedHoldSpan(span, err);
        throw err;
      }
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
      return { hold: holdOfReply(reply), alreadyConfirmed: replayed(reply) };
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

    /**
     * The owner gives tickets back: a held hold is released, a confirmed sale cancelled. A
     * traced request's change carries its trace and its id into the outbox entry, as a
     * reserve's and a confirm's do (giveBack-4.lua's ARGV[4], ARGV[5]).
     */
    async giveBack(holdId: string, userId: string): Promise<Hold> {
      const k = holdKeys(holdId);
      // The event's id is read from the hold's only for a traced request.
      const span = tracingOn() ? startHoldSpan('giveBack', eventOfHoldId(holdId) ?? '') : undefined;
      try {
        const args = [userId, rules.retentionMs, k.base];
        if (span) args.push(traceparentOf(span), tracedRequestId() ?? '');
        const reply = check(
          await run('giveBack', [k.hold(holdId), k.user(userId), k.expiry, k.outbox], args),
        );
        const hold = holdOfReply(reply);
        if (span) endHoldSpan(span, replayed(reply) ? 'replayed' : 'changed', holdId);
        return hold;
      } catch (err) {
        if (span) endRefusedHoldSpan(span, err);
        throw err;
      }
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

    /** Many holds of one event at once (null where Redis has none), in one round trip. */
    async findMany(eventId: string, holdIds: string[]): Promise<(Hold | null)[]> {
      const k = eventKeys(eventId);
      const pipeline = redis.pipeline();
      for (const id of holdIds) pipeline.hgetall(k.hold(id));
      const results = (await pipeline.exec()) ?? [];
      return results.map(([err, value]) => {
        if (err) throw err;
        return holdOf(value as Record<string, string>);
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
      return holdOf(await redis.hgetall(eventKeys(eventId).hold(holdId)));
    },

    /** Live holds of an event due by `nowMs`, oldest first (for the reaper). */
    async due(eventId: string, nowMs: number, limit: number): Promise<string[]> {
      return redis.zrangebyscore(eventKeys(eventId).expiry, '-inf', nowMs, 'LIMIT', 0, limit);
    },

    /** Seated holds, seat blocks and the seats' status (SPEC §8): seating.ts. */
    ...createSeating(keys, run, rules, claimKey),

    /** Redis's clock, in ms. */
    async nowMs(): Promise<number> {
      const [seconds, micros] = await redis.time();
      return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
    },
  };
}

/** Holds, the event's stock and recovery, on the client's one script runner. */
export function createHolds(
  redis: RedisClient,
  rules: HoldRules,
  run: RunScript = scriptRunnerOf(redis),
) {
  const keys = keyspace(rules.keyPrefix);
  return {
    keys,
    ...createHoldLifeCycle(redis, keys, run, rules),
    ...createEventStock(redis, keys, run),
    ...createRecovery(redis, keys, run, rules),
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
    RESERVE_BATCH_MAX?: number;
  },
  registry?: Registry,
): Holds {
  const groupSize =
    registry &&
    hotHistogram({
      name: 'reserve_group_size',
      help: 'Reserves of one event placed by one script call (group commit)',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128],
      registers: [registry],
    }).child({});
  return createHolds(
    redis,
    {
      ...DEFAULT_RULES,
      keyPrefix: config.REDIS_KEY_PREFIX,
      defaultHoldTtlSeconds: config.HOLD_TTL_SECONDS,
      paymentWindowMs: config.PAYMENT_WINDOW_SECONDS * 1000,
      reserveBatchMax: config.RESERVE_BATCH_MAX,
      reserveGroupSent: groupSize && ((size) => groupSize.observe(size)),
    },
    configuredScriptRunner(redis, config, registry),
  );
}
