// The durable pipeline in-process, as api and worker run it: the outbox relay, and the
// persister and notifier consumer groups, on this test file's topics.

import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { keyspace } from '../../core/reservations/keys.js';
import type { Config } from '../../platform/config.js';
import type { Sql } from '../../platform/db/client.js';
import { ensureTopics, kafkaNames } from '../../platform/kafka.js';
import { consumerLag } from '../../platform/kafka-lag.js';
import { createLogger } from '../../platform/logger.js';
import { createRegistry } from '../../platform/metrics.js';
import type { RedisClient } from '../../platform/redis.js';
import { createRelay } from '../../reaper/relay.js';
import type { Channel } from '../../worker/notifications.js';
import { createNotifier } from '../../worker/notifier.js';
import { createPersister } from '../../worker/persister.js';
import { eventually } from './services.js';

export function testKafka(brokers: string, clientId = 'pipeline-test') {
  return new Kafka({
    clientId,
    brokers: brokers.split(','),
    logLevel: logLevel.NOTHING,
    retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 1000 },
  });
}

export async function startRelay(
  config: Config,
  redis: RedisClient,
  brokers = config.KAFKA_BROKERS,
) {
  const kafka = testKafka(brokers, 'relay-test');
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopics(admin, config);
  await admin.disconnect();
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
    retry: { retries: 2, maxRetryTime: 1000 },
  });
  await producer.connect();
  const registry = createRegistry('api');
  const relay = createRelay(
    redis,
    keyspace(config.REDIS_KEY_PREFIX),
    producer,
    createLogger(config, 'relay-test'),
    registry,
    {
      topic: kafkaNames(config.KAFKA_TOPIC_PREFIX).reservations,
      catalogTopic: kafkaNames(config.KAFKA_TOPIC_PREFIX).catalog,
      intervalMs: 20,
    },
  );
  relay.start();
  return {
    relay,
    registry,
    stop: async () => {
      await relay.stop();
      await producer.disconnect();
    },
  };
}

export async function startConsumers(
  config: Config,
  sql: Sql,
  channel: Channel,
  brokers = config.KAFKA_BROKERS,
) {
  const kafka = testKafka(brokers, 'worker-test');
  const names = kafkaNames(config.KAFKA_TOPIC_PREFIX);
  const logger = createLogger(config, 'worker-test');
  const registry = createRegistry('worker');
  const persister = createPersister(kafka, sql, logger, registry, {
    topic: names.reservations,
    groupId: names.group('persister'),
    sessionTimeoutMs: config.KAFKA_SESSION_TIMEOUT_MS,
    namespace: config.REDIS_KEY_PREFIX,
    notifyChannel: config.NOTIFY_CHANNEL,
  });
  const notifier = createNotifier(kafka, sql, logger, registry, {
    topic: names.reservations,
    groupId: names.group('notifier'),
    catalogTopic: names.catalog,
    sessionTimeoutMs: config.KAFKA_SESSION_TIMEOUT_MS,
    channel,
    channelName: config.NOTIFY_CHANNEL,
    maxAttempts: config.NOTIFY_MAX_ATTEMPTS,
    retryBaseMs: config.NOTIFY_RETRY_BASE_MS,
    pollMs: 20,
  });
  await Promise.all([persister.start(), notifier.start()]);
  return {
    registry,
    stop: () => Promise.all([persister.stop(), notifier.stop()]),
  };
}

/** Waits until both consumer groups have committed everything the topic holds. */
export async function caughtUp(config: Config, brokers = config.KAFKA_BROKERS, timeoutMs = 30_000) {
  const names = kafkaNames(config.KAFKA_TOPIC_PREFIX);
  const admin = testKafka(brokers, 'lag-probe').admin();
  await admin.connect();
  try {
    await eventually(
      async () => {
        for (const group of [names.group('persister'), names.group('notifier')]) {
          if ((await consumerLag(admin, names.reservations, group)) > 0) return false;
        }
        return true;
      },
      { timeoutMs, intervalMs: 100, what: 'the consumer groups caught up' },
    );
  } finally {
    await admin.disconnect();
  }
}
