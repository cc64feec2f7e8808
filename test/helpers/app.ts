// The api app from its real factory, wired to the real test services.
import { Kafka, logLevel } from 'kafkajs';
import { createApp } from '../../api/app.js';
import type { Config } from '../../common/config.js';
import { createSql } from '../../common/db/client.js';
import { kafkaProbe, postgresProbe, redisProbe } from '../../common/health.js';
import { createLogger } from '../../common/logger.js';
import { createRegistry } from '../../common/metrics.js';
import { createRedis } from '../../common/redis.js';

export async function buildTestApp(config: Config) {
  const logger = createLogger(config, 'api-test');
  const redis = createRedis(config, logger);
  const sql = createSql(config);
  const admin = new Kafka({
    clientId: 'api-test',
    brokers: config.KAFKA_BROKERS.split(','),
    logLevel: logLevel.NOTHING,
    retry: { retries: 1 },
  }).admin();
  await admin.connect();
  const app = createApp({
    config,
    logger,
    registry: createRegistry('api'),
    probes: { redis: redisProbe(redis), postgres: postgresProbe(sql), kafka: kafkaProbe(admin) },
  });
  const close = async () => {
    redis.disconnect();
    await Promise.all([sql.end({ timeout: 1 }), admin.disconnect()]);
  };
  return { app, redis, sql, admin, close };
}
