// The api process: HTTP in front of Redis (live stock), Postgres (the record) and Kafka.
import { ensureAdmin } from '../common/auth/users.js';
import { loadConfigOrExit } from '../common/config.js';
import { connectKafka, connectPostgres, connectRedis } from '../common/connect.js';
import { kafkaProbe, postgresProbe, redisProbe } from '../common/health.js';
import { closeServer, onShutdown } from '../common/lifecycle.js';
import { createLogger } from '../common/logger.js';
import { createRegistry } from '../common/metrics.js';
import { createApp } from './app.js';
import { serveApi } from './http-server.js';
import { createApiServices } from './services.js';

const config = loadConfigOrExit();
const logger = createLogger(config, 'api');

try {
  const registry = createRegistry('api');
  const [redis, sql, { admin: kafkaAdmin }] = await Promise.all([
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
  const { server } = await serveApi(app, { hostname: config.HOST, port: config.PORT }).catch(
    (err) => {
      logger.fatal({ err }, 'api cannot listen');
      process.exit(1);
    },
  );
  logger.info({ address: config.HOST, port: config.PORT }, 'api listening');

  onShutdown(logger, config.SHUTDOWN_TIMEOUT_MS, [
    ['http', () => closeServer(server)],
    ['load-shedder', () => services.loadShedder.stop()],
    ['request-deadline', () => services.requestDeadline.stop()],
    ['catalog-cache', () => services.cache.close()],
    ['kafka', () => kafkaAdmin.disconnect()],
    ['redis', () => redis.quit()],
    ['postgres', () => sql.end({ timeout: 5 })],
  ]);
} catch (err) {
  logger.fatal({ err }, 'api failed to start');
  process.exit(1);
}
