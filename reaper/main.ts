// The reaper process: the engine's Redis-side background work. It expires holds nobody
// confirmed and puts their stock back, through the same Lua scripts as the api, and (unless
// RELAY_ENABLED=false) relays the outbox streams to Kafka. Several may run at once: expiry
// is exactly-once per hold, and each outbox stream has one relay at a time by lease. It
// also admits users from the events' waiting rooms, at each event's rate in total.

import { createQueue } from '../core/queue/queue.js';
import { createHoldsFromConfig } from '../core/reservations/holds.js';
import { connectKafka, connectPostgres, connectRedis } from '../platform/connect.js';
import { createDb } from '../platform/db/client.js';
import { kafkaProbe, type Probes, postgresProbe, redisProbe } from '../platform/health.js';
import { kafkaNames } from '../platform/kafka.js';
import type { ShutdownStep } from '../platform/lifecycle.js';
import { runOpsProcess } from '../platform/ops-process.js';
import { createAdmission } from './admission.js';
import { createReaper } from './expiry.js';
import { startRelayService } from './relay-service.js';
import { createVerifier } from './verifier.js';

await runOpsProcess(
  'reaper',
  (config) => config.REAPER_METRICS_PORT,
  async ({ config, logger, registry }) => {
    const [redis, sql, { admin }] = await Promise.all([
      connectRedis(config, logger),
      connectPostgres(config, logger),
      connectKafka(config, logger, 'verifier'),
    ]);
    const holds = createHoldsFromConfig(redis, config, registry);
    const kafka = kafkaNames(config.KAFKA_TOPIC_PREFIX);
    // First, so that after a Redis restart the events are checked before anything else.
    const verifier = createVerifier(
      {
        redis,
        db: createDb(sql),
        holds,
        kafkaAdmin: admin,
        topic: kafka.reservations,
        persisterGroup: kafka.group('persister'),
        defaultHoldTtlSeconds: config.HOLD_TTL_SECONDS,
        namespace: config.REDIS_KEY_PREFIX,
      },
      logger,
      registry,
      { intervalMs: config.REAPER_INTERVAL_MS },
    );
    verifier.start();
    const reaper = createReaper(holds, logger, registry, {
      intervalMs: config.REAPER_INTERVAL_MS,
      batchSize: config.REAPER_BATCH_SIZE,
    });
    reaper.start();
    const admission = createAdmission(
      createQueue(redis, config.REDIS_KEY_PREFIX),
      logger,
      registry,
      {
        intervalMs: config.QUEUE_ADMIT_INTERVAL_MS,
      },
    );
    admission.start();
    logger.info({ intervalMs: config.REAPER_INTERVAL_MS }, 'reaper running');
    const probes: Probes = {
      redis: redisProbe(redis),
      postgres: postgresProbe(sql),
      kafka: kafkaProbe(admin),
    };
    const shutdown: ShutdownStep[] = [
      ['verifier', () => verifier.stop()],
      ['reaper', () => reaper.stop()],
      ['admission', () => admission.stop()],
    ];
    if (config.RELAY_ENABLED) {
      const relay = await startRelayService(config, redis, holds.keys, logger, registry);
      shutdown.push(['relay', () => relay.stop()]);
    }
    shutdown.push(
      ['kafka', () => admin.disconnect()],
      ['redis', () => redis.quit()],
      ['postgres', () => sql.end({ timeout: 5 })],
    );
    return { probes, shutdown };
  },
);
