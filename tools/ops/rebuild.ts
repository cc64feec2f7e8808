// `npm run rebuild -- --event <eventId>`: check an event's live stock in Redis against
// Postgres and reconcile it (the same as POST /v1/admin/events/:id/rebuild; the reaper
// does it by itself after a Redis restart).
import { parseArgs } from 'node:util';
import { rebuildNow } from '../../core/records/rebuild.js';
import { createHoldsFromConfig } from '../../core/reservations/holds.js';
import { loadConfigOrExit } from '../../platform/config.js';
import { connectKafka, connectPostgres, connectRedis } from '../../platform/connect.js';
import { createDb } from '../../platform/db/client.js';
import { kafkaNames } from '../../platform/kafka.js';
import { createLogger } from '../../platform/logger.js';

const { values } = parseArgs({
  options: { event: { type: 'string' } },
});
if (!values.event) {
  console.error('usage: npm run rebuild -- --event <eventId>');
  process.exit(2);
}
const config = loadConfigOrExit();
const logger = createLogger({ ...config, LOG_LEVEL: 'warn' }, 'rebuild');
const [redis, sql, { admin }] = await Promise.all([
  connectRedis(config, logger),
  connectPostgres(config, logger),
  connectKafka(config, logger, 'rebuild'),
]);
try {
  const names = kafkaNames(config.KAFKA_TOPIC_PREFIX);
  const result = await rebuildNow(
    {
      db: createDb(sql),
      holds: createHoldsFromConfig(redis, config),
      kafkaAdmin: admin,
      topic: names.reservations,
      persisterGroup: names.group('persister'),
      defaultHoldTtlSeconds: config.HOLD_TTL_SECONDS,
      namespace: config.REDIS_KEY_PREFIX,
    },
    values.event,
  );
  console.log(JSON.stringify(result, null, 2));
} catch (err) {
  console.error(`rebuild failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
} finally {
  redis.disconnect();
  await Promise.all([sql.end({ timeout: 5 }), admin.disconnect()]);
}
