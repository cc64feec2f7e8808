// The api process: HTTP in front of Redis (live stock), Postgres (the record) and Kafka.
// The public port serves the API; the ops port (API_METRICS_PORT) serves /metrics and
// health for operators. On SIGTERM it drains: readiness fails at once, the listener
// closes, requests already on a connection are answered with `Connection: close`, idle
// keep-alive connections are closed, and only then are the clients closed.
import { ensureAdmin } from '../core/auth/users.js';
import { loadConfigOrExit } from '../platform/config.js';
import { connectKafka, connectPostgres, connectRedis } from '../platform/connect.js';
import { kafkaProbe, postgresProbe, redisProbe } from '../platform/health.js';
import { closeServer, onShutdown, trackConnections } from '../platform/lifecycle.js';
import { createLogger } from '../platform/logger.js';
import { createRegistry } from '../platform/metrics.js';
import { createOpsApp, startOpsServer } from '../platform/ops-server.js';
import { startTracing } from '../platform/tracing.js';
import { createApp } from './app.js';
import { serveApi } from './http-server.js';
import { createApiServices } from './services.js';

const config = loadConfigOrExit();
// Before the rest: the logger and the services ask whether this process traces.
const tracing = startTracing(config, 'api');
const logger = createLogger(config, 'api');

/** Of the shutdown budget, what the HTTP drain may use: the closes after it need the rest. */
const DRAIN_SHARE = 0.6;

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

  let draining = () => false;
  const probes = {
    redis: redisProbe(redis),
    postgres: postgresProbe(sql),
    kafka: kafkaProbe(kafkaAdmin),
  };
  const app = createApp({
    ...services,
    kafkaAdmin: kafkaAdmin,
    config,
    logger,
    registry,
    probes,
    draining: () => draining(),
  });
  const listen = async <T>(what: string, start: () => Promise<T>) =>
    start().catch((err) => {
      logger.fatal({ err }, `api cannot listen (${what})`);
      process.exit(1);
    });
  const { server } = await listen('api', () =>
    serveApi(app, { hostname: config.HOST, port: config.PORT }),
  );
  const http = trackConnections(server);
  draining = () => http.draining;
  logger.info({ address: config.HOST, port: config.PORT }, 'api listening');
  const ops = await listen('ops', () =>
    startOpsServer(
      createOpsApp(registry, probes, config.READY_CHECK_TIMEOUT_MS, () => http.draining),
      config.OPS_HOST,
      config.API_METRICS_PORT,
    ),
  );
  const opsAddress = ops.address();
  logger.info(
    { host: config.OPS_HOST, port: typeof opsAddress === 'object' ? opsAddress?.port : undefined },
    'api ops server listening',
  );

  onShutdown(logger, config.SHUTDOWN_TIMEOUT_MS, [
    // First: open streams get their final event and end, so the drain does not wait on them.
    ['availability-streams', () => services.availabilityStreams.close()],
    ['http', () => http.drain(config.SHUTDOWN_TIMEOUT_MS * DRAIN_SHARE)],
    ['event-views', () => services.eventViews.close()],
    ['load-shedder', () => services.loadShedder.stop()],
    ['request-deadline', () => services.requestDeadline.stop()],
    ['catalog-cache', () => services.cache.close()],
    ['revocations', () => services.revocations.close()],
    ['kafka', () => kafkaAdmin.disconnect()],
    ['redis', () => redis.quit()],
    ['postgres', () => sql.end({ timeout: 5 })],
    // The spans of the last requests, exported once they all ended.
    ['tracing', () => tracing.shutdown()],
    // Last: Prometheus can read the final counts while the rest closes.
    ['ops-http', () => closeServer(ops)],
  ]);
} catch (err) {
  logger.fatal({ err }, 'api failed to start');
  process.exit(1);
}
