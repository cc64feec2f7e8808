// The worker process: consumes reservations.v1 in two groups — `persister` keeps Postgres
// as the durable record, `notifier` stores and delivers user notifications.

import { Gauge } from 'prom-client';
import { connectKafka, connectPostgres } from '../platform/connect.js';
import { kafkaProbe, postgresProbe } from '../platform/health.js';
import { kafkaNames } from '../platform/kafka.js';
import { consumerLag } from '../platform/kafka-lag.js';
import { runOpsProcess } from '../platform/ops-process.js';
import { createNoticeReconciliation } from './missing-notices.js';
import { logChannel, webhookChannel } from './notifications.js';
import { createNotifier } from './notifier.js';
import { createPersister } from './persister.js';

await runOpsProcess(
  'worker',
  (config) => config.WORKER_METRICS_PORT,
  async ({ config, logger, registry }) => {
    const [sql, { kafka, admin }] = await Promise.all([
      connectPostgres(config, logger),
      connectKafka(config, logger, 'worker'),
    ]);
    const names = kafkaNames(config.KAFKA_TOPIC_PREFIX);
    const persister = createPersister(kafka, sql, logger, registry, {
      topic: names.reservations,
      groupId: names.group('persister'),
      sessionTimeoutMs: config.KAFKA_SESSION_TIMEOUT_MS,
      namespace: config.REDIS_KEY_PREFIX,
      notifyChannel: config.NOTIFY_CHANNEL,
    });
    const webhook = config.NOTIFY_CHANNEL === 'webhook';
    const notifier = createNotifier(kafka, sql, logger, registry, {
      topic: names.reservations,
      groupId: names.group('notifier'),
      catalogTopic: names.catalog,
      sessionTimeoutMs: config.KAFKA_SESSION_TIMEOUT_MS,
      channel: webhook
        ? webhookChannel(
            config.NOTIFY_WEBHOOK_URL as string,
            config.NOTIFY_WEBHOOK_SECRET as string,
          )
        : logChannel(logger),
      channelName: config.NOTIFY_CHANNEL,
      namespace: config.REDIS_KEY_PREFIX,
      maxAttempts: config.NOTIFY_MAX_ATTEMPTS,
      retryBaseMs: config.NOTIFY_RETRY_BASE_MS,
      pollMs: config.NOTIFY_POLL_MS,
    });
    new Gauge({
      name: 'kafka_consumer_lag',
      help: 'Messages of reservations.v1 a consumer group has not committed yet',
      labelNames: ['group'] as const,
      registers: [registry],
      async collect() {
        for (const group of [names.group('persister'), names.group('notifier')]) {
          this.set({ group }, await consumerLag(admin, names.reservations, group));
        }
      },
    });
    const reconciliation = createNoticeReconciliation(sql, logger, registry, {
      channel: config.NOTIFY_CHANNEL,
      namespace: config.REDIS_KEY_PREFIX,
      intervalMs: config.NOTIFY_RECONCILE_MS,
    });
    await Promise.all([persister.start(), notifier.start()]);
    reconciliation.start();
    logger.info('persister and notifier consuming');
    return {
      probes: { postgres: postgresProbe(sql), kafka: kafkaProbe(admin) },
      shutdown: [
        ['reconciliation', () => reconciliation.stop()],
        ['consumers', () => Promise.all([persister.stop(), notifier.stop()])],
        ['kafka', () => admin.disconnect()],
        ['postgres', () => sql.end({ timeout: 5 })],
      ],
    };
  },
);
