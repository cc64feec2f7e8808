// The relay as a process runs it: an idempotent producer (one request in flight, so Kafka
// keeps each partition in our order) carrying every event's outbox to reservations.v1 and
// the catalog outbox to catalog.v1. It runs in the reaper process, not in the api: the
// api's event loop is the scarce thing during a drop (BENCHMARKS.md has what it cost there).
import type { Admin } from 'kafkajs';
import type { Registry } from 'prom-client';
import type { Keyspace } from '../core/reservations/keys.js';
import type { Config } from '../platform/config.js';
import { connectKafka } from '../platform/connect.js';
import { KeyedPartitioner, kafkaNames } from '../platform/kafka.js';
import type { Logger } from '../platform/logger.js';
import type { RedisClient } from '../platform/redis.js';
import { createRelay } from './relay.js';

export async function startRelayService(
  config: Config,
  redis: RedisClient,
  keys: Keyspace,
  logger: Logger,
  registry: Registry,
): Promise<{ admin: Admin; stop: () => Promise<void> }> {
  const { kafka, admin } = await connectKafka(config, logger, 'relay');
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: KeyedPartitioner,
    retry: { retries: 3, maxRetryTime: 5000 },
  });
  const names = kafkaNames(config.KAFKA_TOPIC_PREFIX);
  const relay = createRelay(redis, keys, producer, logger, registry, {
    topic: names.reservations,
    catalogTopic: names.catalog,
  });
  await producer.connect();
  relay.start();
  logger.info('outbox relay running');
  return {
    admin,
    async stop() {
      await relay.stop();
      await Promise.all([producer.disconnect(), admin.disconnect()]);
    },
  };
}
