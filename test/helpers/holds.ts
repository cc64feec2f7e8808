// The hold scripts (core/reservations/holds.ts) on several connections to the test Redis,
// for the holds-*.test.ts files: drops set straight in Redis, reserves spread over the
// connections so Redis sees them from several clients, and their outcomes tallied.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import { type Hold, type HoldError, HoldRefusal } from '../../core/reservations/hold.js';
import { createHolds, DEFAULT_RULES, type Holds } from '../../core/reservations/holds.js';
import { eventKeys } from '../../core/reservations/keys.js';
import type { RedisClient } from '../../platform/redis.js';
import { REDIS_KEY_PREFIX, testRedis } from './services.js';

const RULES = {
  ...DEFAULT_RULES,
  defaultHoldTtlSeconds: 300,
  paymentWindowMs: 60_000,
  keyPrefix: REDIS_KEY_PREFIX,
};
const CONNECTIONS = 4;
let clients: RedisClient[];
let pool: Holds[];
/** The first connection, and the holds on it (set by useHolds, per test file). */
export let redis: RedisClient;
export let holds: Holds;

/** Opens the connections before the file's tests, and closes them after. */
export function useHolds() {
  beforeAll(async () => {
    clients = await Promise.all(Array.from({ length: CONNECTIONS }, () => testRedis()));
    pool = clients.map((c) => createHolds(c, RULES));
    redis = clients[0] as RedisClient;
    holds = pool[0] as Holds;
  });
  afterAll(() => {
    for (const c of clients) c.disconnect();
  });
}

/** Spreads calls over the connections, so Redis sees them from several clients. */
export const onAny = (i: number) => pool[i % CONNECTIONS] as Holds;

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
