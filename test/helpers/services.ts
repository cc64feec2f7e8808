// The real services of this test run (see global-setup.ts) and small helpers around them.
import { createServer } from 'node:net';
import { Cluster } from 'ioredis';
import { inject } from 'vitest';
import { type Config, loadConfig } from '../../platform/config.js';
import { createLogger } from '../../platform/logger.js';
import { createRedis, type RedisClient, redisReady } from '../../platform/redis.js';

export interface Services {
  redisUrl: string;
  /** set when the suite runs on a Redis Cluster (npm run test:cluster) */
  redisClusterNodes?: string;
  databaseUrl: string;
  kafkaBrokers: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    services: Services;
  }
}

export const services = (): Services => inject('services');

/**
 * This test file's own namespace in the shared Redis and Kafka: its relays, reapers and
 * consumers see only its own events and topics, so files run in parallel undisturbed.
 */
export const NAMESPACE = `t${Math.random().toString(36).slice(2, 10)}`;
export const REDIS_KEY_PREFIX = `${NAMESPACE}:`;
export const KAFKA_TOPIC_PREFIX = `${NAMESPACE}.`;

/** Environment variables pointing a process at the test services and this namespace. */
export function serviceEnv(): Record<string, string> {
  const s = services();
  return {
    REDIS_URL: s.redisUrl,
    ...(s.redisClusterNodes ? { REDIS_CLUSTER_NODES: s.redisClusterNodes } : {}),
    DATABASE_URL: s.databaseUrl,
    KAFKA_BROKERS: s.kafkaBrokers,
    REDIS_KEY_PREFIX,
    KAFKA_TOPIC_PREFIX,
    KAFKA_RESERVATIONS_PARTITIONS: '2',
    KAFKA_CATALOG_PARTITIONS: '1',
  };
}

/** A validated config for the test services, with overrides; never reads a config.yml. */
export function testConfig(overrides: Record<string, string> = {}): Config {
  const env = serviceEnv();
  // A test that points REDIS_URL somewhere (a dead port, its own server) means that one.
  if (overrides.REDIS_URL) delete env.REDIS_CLUSTER_NODES;
  return loadConfig(
    {
      NODE_ENV: 'test',
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
      ...env,
      ...overrides,
    },
    '/nonexistent/config.yml',
  );
}

/**
 * The config functional suites run with: rate limits and load shedding off (SPEC §4: as
 * benchmarks and functional suites do), cheap bcrypt. The protection tests turn them on.
 */
export function functionalConfig(overrides: Record<string, string> = {}): Config {
  return testConfig({
    BCRYPT_COST: '4',
    RATE_LIMIT_PER_IP: '0',
    RATE_LIMIT_PER_USER: '0',
    SHED_MAX_IN_FLIGHT: '0',
    SHED_MAX_EVENT_LOOP_DELAY_MS: '0',
    ...overrides,
  });
}

/** A TCP port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}

/** Polls `check` until it returns true or the deadline passes; the last error is kept. */
export async function eventually(
  check: () => Promise<boolean>,
  { timeoutMs = 10_000, intervalMs = 50, what = 'condition' } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`${what} not met within ${timeoutMs} ms${last ? `: ${String(last)}` : ''}`);
}

/** A client of the test Redis (a cluster client under npm run test:cluster), ready. */
export async function testRedis(): Promise<RedisClient> {
  const config = testConfig();
  const client = createRedis(config, createLogger(config, 'test'), 'test');
  await redisReady(client, 10_000);
  return client;
}

/**
 * Deletes every key matching `pattern` (a "Redis lost everything" of one namespace): on a
 * cluster on each master, key by key, since its keys live in many slots.
 */
export async function deleteKeys(client: RedisClient, pattern: string): Promise<void> {
  const nodes = client instanceof Cluster ? client.nodes('master') : [client];
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      const pipeline = node.pipeline();
      for (const key of keys) pipeline.del(key);
      await pipeline.exec();
    } while (cursor !== '0');
  }
}
