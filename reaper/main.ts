// The reaper process: the engine's Redis-side background work. It expires holds nobody
// confirmed and puts their stock back, through the same Lua scripts as the api, and (unless
// RELAY_ENABLED=false) relays the outbox streams to Kafka. Several may run at once: expiry
// is exactly-once per hold, and each outbox stream has one relay at a time by lease.
import { connectRedis } from '../common/connect.js';
import { kafkaProbe, type Probes, redisProbe } from '../common/health.js';
import type { ShutdownStep } from '../common/lifecycle.js';
import { runOpsProcess } from '../common/ops-process.js';
import { startRelayService } from '../common/outbox/relay-service.js';
import { createHoldsFromConfig } from '../common/reservations/holds.js';
import { createReaper } from './reaper.js';

await runOpsProcess(
  'reaper',
  (config) => config.REAPER_METRICS_PORT,
  async ({ config, logger, registry }) => {
    const redis = await connectRedis(config, logger);
    const holds = createHoldsFromConfig(redis, config, registry);
    const reaper = createReaper(holds, logger, registry, {
      intervalMs: config.REAPER_INTERVAL_MS,
      batchSize: config.REAPER_BATCH_SIZE,
    });
    reaper.start();
    logger.info({ intervalMs: config.REAPER_INTERVAL_MS }, 'reaper running');
    const probes: Probes = { redis: redisProbe(redis) };
    const shutdown: ShutdownStep[] = [['reaper', () => reaper.stop()]];
    if (config.RELAY_ENABLED) {
      const relay = await startRelayService(config, redis, holds.keys, logger, registry);
      probes.kafka = kafkaProbe(relay.admin);
      shutdown.push(['relay', () => relay.stop()]);
    }
    shutdown.push(['redis', () => redis.quit()]);
    return { probes, shutdown };
  },
);
