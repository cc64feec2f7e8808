// Kafka through kafkajs: the client, the topics of SPEC §6, and their idempotent creation.
import { type Admin, Kafka, type LogEntry, logLevel } from 'kafkajs';
import type { Config } from './config.js';
import type { Logger } from './logger.js';

/** The engine's topics and consumer groups, behind KAFKA_TOPIC_PREFIX (empty by default). */
export function kafkaNames(prefix = '') {
  return {
    /** Every hold change, key = eventId so one event's changes stay in order. */
    reservations: `${prefix}reservations.v1`,
    /** Event and category changes made by admins. */
    catalog: `${prefix}catalog.v1`,
    group: (name: 'persister' | 'notifier') => `${prefix}${name}`,
  };
}

export const TOPICS = kafkaNames();

const PINO_LEVEL: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

export function createKafka(
  config: Pick<Config, 'KAFKA_BROKERS' | 'KAFKA_CLIENT_ID'>,
  logger: Logger,
  role: string,
): Kafka {
  const log = logger.child({ kafka: role });
  return new Kafka({
    clientId: `${config.KAFKA_CLIENT_ID}-${role}`,
    brokers: config.KAFKA_BROKERS.split(','),
    connectionTimeout: 3000,
    requestTimeout: 10_000,
    // kafkajs logs at INFO about every (re)join; keep warnings and errors.
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log: { message, ...extra } }: LogEntry) =>
        log[PINO_LEVEL[level] ?? 'info'](
          { ...extra, timestamp: undefined, logger: undefined },
          message,
        ),
  });
}

/** Creates the engine's topics when missing; safe to run from every process at once. */
export async function ensureTopics(
  admin: Admin,
  config: Pick<
    Config,
    | 'KAFKA_RESERVATIONS_PARTITIONS'
    | 'KAFKA_CATALOG_PARTITIONS'
    | 'KAFKA_REPLICATION_FACTOR'
    | 'KAFKA_TOPIC_PREFIX'
  >,
): Promise<void> {
  const names = kafkaNames(config.KAFKA_TOPIC_PREFIX);
  const existing = new Set(await admin.listTopics());
  const wanted = [
    { topic: names.reservations, numPartitions: config.KAFKA_RESERVATIONS_PARTITIONS },
    { topic: names.catalog, numPartitions: config.KAFKA_CATALOG_PARTITIONS },
  ].filter((t) => !existing.has(t.topic));
  if (wanted.length === 0) return;
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: wanted.map((t) => ({
        ...t,
        replicationFactor: config.KAFKA_REPLICATION_FACTOR,
        // min.insync.replicas 1 fits the single-broker stack; acks=all still waits for all ISR.
        configEntries: [{ name: 'min.insync.replicas', value: '1' }],
      })),
    });
  } catch (err) {
    // Another process created it between our list and our create: that is the goal.
    if ((err as { type?: string }).type !== 'TOPIC_ALREADY_EXISTS') throw err;
  }
}
