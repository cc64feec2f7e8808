// Start-up connections shared by the api, worker and reaper. Each waits (bounded by
// STARTUP_TIMEOUT_MS) for its dependency to really answer, then returns a live client;
// a dependency still down at the deadline stops the process with a clear message.
import type { Admin, Kafka } from 'kafkajs';
import type { Config } from './config.js';
import { createSql, type Sql } from './db/client.js';
import { postgresProbe, waitUntilReachable } from './health.js';
import { createKafka, ensureTopics } from './kafka.js';
import type { Logger } from './logger.js';
import { createRedis, type RedisClient, redisReady } from './redis.js';

export async function connectRedis(config: Config, logger: Logger): Promise<RedisClient> {
  const redis = createRedis(config, logger);
  await redisReady(redis, config.STARTUP_TIMEOUT_MS).catch((err: Error) => {
    redis.disconnect();
    throw err;
  });
  logger.info(
    { redis: config.REDIS_CLUSTER_NODES ?? redactUrl(config.REDIS_URL) },
    'redis connected',
  );
  return redis;
}

export async function connectPostgres(config: Config, logger: Logger): Promise<Sql> {
  const sql = createSql(config);
  await waitUntilReachable('postgres', postgresProbe(sql), config.STARTUP_TIMEOUT_MS, (err) =>
    logger.warn({ err: String(err) }, 'waiting for postgres'),
  ).catch(async (err) => {
    await sql.end({ timeout: 1 });
    throw err;
  });
  logger.info({ postgres: redactUrl(config.DATABASE_URL) }, 'postgres connected');
  return sql;
}

/** A Kafka client and a connected admin, after making sure the engine's topics exist. */
export async function connectKafka(
  config: Config,
  logger: Logger,
  role: string,
): Promise<{ kafka: Kafka; admin: Admin }> {
  const kafka = createKafka(config, logger, role);
  const admin = kafka.admin({ retry: { retries: 2 } });
  await waitUntilReachable(
    'kafka',
    async () => {
      await admin.connect();
      await ensureTopics(admin, config);
    },
    config.STARTUP_TIMEOUT_MS,
    (err) => logger.warn({ err: String(err) }, 'waiting for kafka'),
  ).catch(async (err) => {
    await admin.disconnect().catch(() => {});
    throw err;
  });
  logger.info({ kafka: config.KAFKA_BROKERS }, 'kafka connected, topics ensured');
  return { kafka, admin };
}

/** A connection URL without its password, fit for a log line. */
export function redactUrl(raw: string): string {
  try {
    const url = new URL(raw);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return '[unparseable url]';
  }
}
