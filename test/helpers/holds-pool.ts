// Holds on several Redis connections of this test file's namespace, so the scripts run
// under real concurrency: Redis sees the calls from several clients at once.
import { afterAll, beforeAll } from 'vitest';
import { createHolds, DEFAULT_RULES, type Holds } from '../../core/reservations/holds.js';
import type { RedisClient } from '../../platform/redis.js';
import { REDIS_KEY_PREFIX, testRedis } from './services.js';

export const TEST_RULES = {
  ...DEFAULT_RULES,
  defaultHoldTtlSeconds: 300,
  paymentWindowMs: 60_000,
  keyPrefix: REDIS_KEY_PREFIX,
};

/** Opens `connections` clients before the file's tests, closes them after. */
export function useHoldsPool(connections = 4) {
  const pool = {
    clients: [] as RedisClient[],
    holds: [] as Holds[],
    /** the first connection's client and holds */
    get redis() {
      return pool.clients[0] as RedisClient;
    },
    get first() {
      return pool.holds[0] as Holds;
    },
    /** Spreads calls over the connections. */
    onAny: (i: number) => pool.holds[i % connections] as Holds,
  };
  beforeAll(async () => {
    pool.clients = await Promise.all(Array.from({ length: connections }, () => testRedis()));
    pool.holds = pool.clients.map((c) => createHolds(c, TEST_RULES));
  });
  afterAll(() => {
    for (const c of pool.clients) c.disconnect();
  });
  return pool;
}
