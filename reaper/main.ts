// The reaper process: expires holds nobody confirmed and puts their stock back, through
// the same Lua scripts as the api. The expiry loop plugs in here; for now it owns its
// Redis connection and its ops server.
import { connectRedis } from '../common/connect.js';
import { redisProbe } from '../common/health.js';
import { runOpsProcess } from '../common/ops-process.js';

await runOpsProcess(
  'reaper',
  (config) => config.REAPER_METRICS_PORT,
  async ({ config, logger }) => {
    const redis = await connectRedis(config, logger);
    return {
      probes: { redis: redisProbe(redis) },
      shutdown: [['redis', () => redis.quit()]],
    };
  },
);
