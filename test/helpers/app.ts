// The api app from its real factory and services, wired to the real test services, and
// served the way production serves it (api/http-server.ts) on a port of its own.
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll } from 'vitest';
import { createApp } from '../../api/app.js';
import { serveApi } from '../../api/http-server.js';
import { createApiServices } from '../../api/services.js';
import type { Config } from '../../platform/config.js';
import { createSql } from '../../platform/db/client.js';
import { kafkaProbe, postgresProbe, redisProbe } from '../../platform/health.js';
import { createLogger } from '../../platform/logger.js';
import { createRegistry } from '../../platform/metrics.js';
import { createOpsApp, startOpsServer } from '../../platform/ops-server.js';
import { createRedis, type RedisClient, redisReady } from '../../platform/redis.js';
import { adminToken } from './drop.js';
import { functionalConfig, testRedis } from './services.js';

export async function buildTestApp(config: Config) {
  const logger = createLogger(config, 'api-test');
  const registry = createRegistry('api');
  const redis = createRedis(config, logger);
  const sql = createSql(config);
  const admin = new Kafka({
    clientId: 'api-test',
    brokers: config.KAFKA_BROKERS.split(','),
    logLevel: logLevel.NOTHING,
    retry: { retries: 1 },
  }).admin();
  await Promise.all([admin.connect(), redisReady(redis, 10_000)]);
  const services = await createApiServices(config, registry, { redis, sql }, logger);
  const probes = {
    redis: redisProbe(redis),
    postgres: postgresProbe(sql),
    kafka: kafkaProbe(admin),
  };
  const app = createApp({ ...services, kafkaAdmin: admin, config, logger, registry, probes });
  const { server, port } = await serveApi(app, { hostname: '127.0.0.1', port: 0 });
  const baseUrl = `http://127.0.0.1:${port}`;
  // Every test request goes over a real socket through the production adapter, never
  // in-process: app.request(path, init) is a fetch to the served app.
  app.request = ((input: string, init?: RequestInit) =>
    fetch(new URL(input, baseUrl), init)) as unknown as typeof app.request;
  // The ops server, as main.ts runs it next to the api: /metrics is there, not on the api.
  const ops = await startOpsServer(
    createOpsApp(registry, probes, config.READY_CHECK_TIMEOUT_MS),
    '127.0.0.1',
    0,
  );
  const opsUrl = `http://127.0.0.1:${(ops.address() as { port: number }).port}`;
  /** The api's Prometheus exposition, scraped from its ops server. */
  const metrics = async () => (await fetch(`${opsUrl}/metrics`)).text();
  const close = async () => {
    services.availabilityStreams.close();
    services.eventViews.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await new Promise((resolve) => ops.close(resolve));
    await services.revocations.close();
    services.loadShedder.stop();
    services.requestDeadline.stop();
    await services.cache.close();
    redis.disconnect();
    await Promise.all([sql.end({ timeout: 1 }), admin.disconnect()]);
  };
  return { app, baseUrl, opsUrl, metrics, services, redis, sql, admin, close, config, registry };
}

export type TestApp = Awaited<ReturnType<typeof buildTestApp>>;

/**
 * The test file's app, an admin's token on it and a client of the test Redis, set by
 * useTestApp's beforeAll. Each test file has its own copy of this module (vitest isolates
 * files), so files split from one another share the setup, not the state.
 */
export let ctx: TestApp;
export let admin: string;
export let redis: RedisClient;

/** Builds ctx, admin and redis before the file's tests, and closes them after. */
export function useTestApp(config = functionalConfig()) {
  beforeAll(async () => {
    ctx = await buildTestApp(config);
    admin = await adminToken(ctx);
    redis = await testRedis();
  });
  afterAll(async () => {
    redis?.disconnect();
    await ctx?.close();
  });
}
