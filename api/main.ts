// The api process: HTTP in front of Redis (live stock), Postgres (the record) and Kafka.
// It also runs the outbox relay unless RELAY_ENABLED=false.
import { serve } from '@hono/node-server';
import { Partitioners } from 'kafkajs';
import { ensureAdmin } from '../common/auth/users.js';
import { loadConfigOrExit } from '../common/config.js';
import { connectKafka, connectPostgres, connectRedis } from '../common/connect.js';
import { kafkaProbe, postgresProbe, redisProbe } from '../common/health.js';
import { kafkaNames } from '../common/kafka.js';
import { closeServer, onShutdown } from '../common/lifecycle.js';
import { createLogger } from '../common/logger.js';
import { createRegistry } from '../common/metrics.js';
import { createRelay } from '../common/outbox/relay.js';
import { createApp } from './app.js';
import { createApiServices } from './services.js';

const config = loadConfigOrExit();
const logger = createLogger(config, 'api');

try {
  const registry = createRegistry('api');
  const [redis, sql, { kafka, admin: kafkaAdmin }] = await Promise.all([
    connectRedis(config, logger),
    connectPostgres(config, logger),
    connectKafka(config, logger, 'api'),
  ]);

  const services = await createApiServices(config, registry, { redis, sql }, logger);
  const admin = await ensureAdmin(
    services.db,
    services.passwords,
    config.ADMIN_EMAIL,
    config.ADMIN_PASSWORD,
  );
  logger.info({ adminId: admin.id, email: admin.email }, 'admin ensured');

  // Idempotent producer, one request in flight: Kafka keeps each partition in our order.
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
    retry: { retries: 3, maxRetryTime: 5000 },
  });
  const relay = createRelay(redis, services.holds.keys, producer, logger, registry, {
    topic: kafkaNames(config.KAFKA_TOPIC_PREFIX).reservations,
    catalogTopic: kafkaNames(config.KAFKA_TOPIC_PREFIX).catalog,
  });
  if (config.RELAY_ENABLED) {
    await producer.connect();
    relay.start();
    logger.info('outbox relay running');
  }

  const app = createApp({
    ...services,
    kafkaAdmin: kafkaAdmin,
    config,
    logger,
    registry,
    probes: {
      redis: redisProbe(redis),
      postgres: postgresProbe(sql),
      kafka: kafkaProbe(kafkaAdmin),
    },
  });
  const server = serve({ fetch: app.fetch, hostname: config.HOST, port: config.PORT }, (info) =>
    logger.info({ address: info.address, port: info.port }, 'api listening'),
  );
  server.on('error', (err) => {
    logger.fatal({ err }, 'api cannot listen');
    process.exit(1);
  });

  onShutdown(logger, config.SHUTDOWN_TIMEOUT_MS, [
    ['http', () => closeServer(server)],
    ['load-shedder', () => services.loadShedder.stop()],
    ['catalog-cache', () => services.cache.close()],
    ['relay', () => relay.stop()],
    ['kafka', () => Promise.all([producer.disconnect(), kafkaAdmin.disconnect()])],
    ['redis', () => redis.quit()],
    ['postgres', () => sql.end({ timeout: 5 })],
  ]);
} catch (err) {
  logger.fatal({ err }, 'api failed to start');
  process.exit(1);
}
