// The reaper process: expires holds nobody confirmed and puts their stock back, through
// the same Lua scripts as the api. Several reapers may run at once.
import { connectRedis } from '../common/connect.js';
import { redisProbe } from '../common/health.js';
import { runOpsProcess } from '../common/ops-process.js';
import { createHoldsFromConfig } from '../common/reservations/holds.js';
import { createReaper } from './reaper.js';

await runOpsProcess(
  'reaper',
  (config) => config.REAPER_METRICS_PORT,
  async ({ config, logger, registry }) => {
    const redis = await connectRedis(config, logger);
    const reaper = createReaper(createHoldsFromConfig(redis, config, registry), logger, registry, {
      intervalMs: config.REAPER_INTERVAL_MS,
      batchSize: config.REAPER_BATCH_SIZE,
    });
    reaper.start();
    logger.info({ intervalMs: config.REAPER_INTERVAL_MS }, 'reaper running');
    return {
      probes: { redis: redisProbe(redis) },
      shutdown: [
        ['reaper', () => reaper.stop()],
        ['redis', () => redis.quit()],
      ],
    };
  },
);
