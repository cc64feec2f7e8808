// One script runner per Redis client (core/reservations/scripts.ts): every facade of a client
// shares the runner the process configured, so the waiting room's state changes are timed
// and wait for replicas (REDIS_WAIT_REPLICAS) like the holds'. Five replicas are asked for,
// more than the test stack has (none on a single node, one per master on the cluster): each
// state change's WAIT is counted short, a read is not waited for.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createQueue } from '../../core/queue/queue.js';
import { createHoldsFromConfig } from '../../core/reservations/holds.js';
import { scriptRunnerOf } from '../../core/reservations/scripts.js';
import { createRegistry } from '../../platform/metrics.js';
import type { RedisClient } from '../../platform/redis.js';
import { REDIS_KEY_PREFIX, testRedis } from '../helpers/services.js';

let redis: RedisClient;
beforeAll(async () => {
  redis = await testRedis();
});
afterAll(() => redis.disconnect());

it('gives every facade of a client the runner the process configured: the queue waits for replicas too', async () => {
  const registry = createRegistry('api');
  const holds = createHoldsFromConfig(
    redis,
    {
      HOLD_TTL_SECONDS: 600,
      PAYMENT_WINDOW_SECONDS: 60,
      REDIS_KEY_PREFIX,
      REDIS_WAIT_REPLICAS: 5,
      REDIS_WAIT_TIMEOUT_MS: 10,
    },
    registry,
  );
  const queue = createQueue(redis, REDIS_KEY_PREFIX);
  expect(scriptRunnerOf(redis)).toBe(scriptRunnerOf(redis));

  const eventId = randomUUID();
  await holds.setEventState(
    eventId,
    {
      status: 'draft',
      holdTtlSeconds: 600,
      perUserLimit: 10,
      waitingRoom: { enabled: true, admitPerSecond: 10, passTtlSeconds: 600 },
    },
    { created: true },
  );
  await queue.join(eventId, randomUUID());
  await queue.summary(eventId);

  const text = await registry.metrics();
  const value = (metric: string, script: string) =>
    Number(
      text
        .split('\n')
        .find((l) => l.startsWith(`${metric}{`) && l.includes(`script="${script}"`))
        ?.split(' ')
        .pop() ?? 0,
    );
  // The queue's join was timed and waited for replicas (too few: counted short)...
  expect(value('redis_script_duration_seconds_count', 'joinQueue')).toBe(1);
  expect(value('redis_wait_short_total', 'joinQueue')).toBe(1);
  expect(value('redis_wait_short_total', 'setEventState')).toBe(1);
  // ...and its read was timed, not waited for.
  expect(value('redis_script_duration_seconds_count', 'queueStatus')).toBe(1);
  expect(value('redis_wait_short_total', 'queueStatus')).toBe(0);
});
