// What REDIS_WAIT_REPLICAS=1 costs a reserve: the same reserves, one after the other, on
// the cluster (REDIS_CLUSTER_NODES) with and without waiting for a replica (WAIT in the
// script's pipeline); median and p99 latency as the api's Redis call sees it.
//
//   STACK_REDIS_CLUSTER=1 bash tools/stack/stack.sh up
//   eval "$(STACK_REDIS_CLUSTER=1 bash tools/stack/stack.sh env)"
//   node --import tsx perf/replica-wait.ts [reserves=3000]
import { randomUUID } from 'node:crypto';
import { createHoldsFromConfig } from '../core/reservations/holds.js';
import { loadConfigOrExit } from '../platform/config.js';
import { createLogger } from '../platform/logger.js';
import { createRedis, redisReady } from '../platform/redis.js';

const n = Number(process.argv[2] ?? 3000);
const config = loadConfigOrExit();
if (!config.REDIS_CLUSTER_NODES)
  throw new Error('set REDIS_CLUSTER_NODES (a cluster with replicas)');
const redis = createRedis(config, createLogger({ ...config, LOG_LEVEL: 'warn' }, 'bench'));
await redisReady(redis, 10_000);
const prefix = `replica-wait-${Date.now()}:`;

const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;

for (const replicas of [0, 1, 0, 1]) {
  const holds = createHoldsFromConfig(redis, {
    ...config,
    REDIS_KEY_PREFIX: prefix,
    REDIS_WAIT_REPLICAS: replicas,
  });
  const eventId = randomUUID();
  const categoryId = randomUUID();
  await holds.setEventState(
    eventId,
    { status: 'on_sale', holdTtlSeconds: 600, perUserLimit: 10 },
    { created: true },
  );
  await holds.setCategory(eventId, {
    id: categoryId,
    name: 'GA',
    capacity: 10_000_000,
    perUserLimit: null,
  });
  const took: number[] = [];
  for (let i = 0; i < n; i++) {
    const started = performance.now();
    await holds.reserve({ eventId, categoryId, userId: randomUUID(), quantity: 1 });
    took.push(performance.now() - started);
  }
  took.sort((a, b) => a - b);
  console.log(
    JSON.stringify({
      replicas,
      reserves: n,
      medianMs: Number(quantile(took, 0.5).toFixed(3)),
      p99Ms: Number(quantile(took, 0.99).toFixed(3)),
    }),
  );
  await holds.forgetEvent(eventId);
}
redis.disconnect();
