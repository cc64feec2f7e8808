// The hold scripts (core/reservations/holds.ts) on several connections to the test Redis,
// for the holds-*.test.ts files: drops set straight in Redis, reserves spread over the
// connections so Redis sees them from several clients, and their outcomes tallied.
import { randomUUID } from 'node:crypto';
import { beforeAll } from 'vitest';
import { type Hold, type HoldError, HoldRefusal } from '../../core/reservations/hold.js';
import type { Holds } from '../../core/reservations/holds.js';
import { eventKeys } from '../../core/reservations/keys.js';
import type { RedisClient } from '../../platform/redis.js';
import { useHoldsPool } from './holds-pool.js';
import { REDIS_KEY_PREFIX } from './services.js';

let pool: ReturnType<typeof useHoldsPool>;
/** The first connection, and the holds on it (set by useHolds, per test file). */
export let redis: RedisClient;
export let holds: Holds;

/** Opens the connections before the file's tests (holds-pool.ts), and closes them after. */
export function useHolds() {
  const opened = useHoldsPool();
  beforeAll(() => {
    pool = opened;
    redis = opened.redis;
    holds = opened.first;
  });
}

/** Spreads calls over the connections, so Redis sees them from several clients. */
export const onAny = (i: number) => pool.onAny(i);

export async function newDrop(opts: {
  capacity: number;
  perUserLimit?: number;
  holdTtl?: number;
  categoryLimit?: number;
}) {
  const eventId = randomUUID();
  const categoryId = randomUUID();
  await holds.setEventState(
    eventId,
    {
      status: 'on_sale',
      holdTtlSeconds: opts.holdTtl ?? 300,
      perUserLimit: opts.perUserLimit ?? 10,
    },
    { created: true },
  );
  await holds.setCategory(eventId, {
    id: categoryId,
    name: 'GA',
    capacity: opts.capacity,
    perUserLimit: opts.categoryLimit ?? null,
  });
  return { eventId, categoryId };
}

export const reserveArgs = (
  eventId: string,
  categoryId: string,
  userId: string,
  quantity: number,
) => ({
  eventId,
  categoryId,
  userId,
  quantity,
});

/** Settles every promise; returns the holds and the refusal codes. */
export async function settle(calls: Promise<{ hold: Hold }>[]) {
  const results = await Promise.allSettled(calls);
  const granted: Hold[] = [];
  const refused: HoldError[] = [];
  for (const r of results) {
    if (r.status === 'fulfilled') granted.push(r.value.hold);
    else if (r.reason instanceof HoldRefusal) refused.push(r.reason.code);
    else throw r.reason;
  }
  return { granted, refused };
}

export const outboxTypes = async (eventId: string) =>
  (await redis.xrange(eventKeys(eventId, REDIS_KEY_PREFIX).outbox, '-', '+')).map(([, fields]) => {
    const f: Record<string, string> = {};
    for (let i = 0; i < fields.length; i += 2) f[fields[i] as string] = fields[i + 1] as string;
    return f;
  });
