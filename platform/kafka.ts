// Kafka through kafkajs: the client, the topics of SPEC §6, and their idempotent creation.
import { createRequire } from 'node:module';
import {
  type Admin,
  type ICustomPartitioner,
  Kafka,
  type LogEntry,
  logLevel,
  Partitioners,
} from 'kafkajs';
import type { Config } from './config.js';
import type { Logger } from './logger.js';

/**
 * kafkajs 2.2.4 keeps every connection's request queue re-checking itself with a
 * setTimeout of about 1 ms forever, whether a request waits or not (tulios/kafkajs#1556,
 * #1704; the fix of #1667 was never released): each process with a Kafka client burned a
 * few per cent of a core doing nothing, on the cores the api needs during a drop. Same
 * method, without the empty loop: a check is still scheduled whenever a request waits (in
 * 10 ms, or when a broker's throttle ends), and nothing is scheduled when nothing waits —
 * `push` schedules one as soon as a request has to wait. Applied once, to that exact version.
 */
function patchRequestQueue(): void {
  const require = createRequire(import.meta.url);
  if ((require('kafkajs/package.json') as { version: string }).version !== '2.2.4') return;
  const RequestQueue = require('kafkajs/src/network/requestQueue/index.js') as {
    prototype: Record<string, unknown>;
  };
  interface Queue {
    throttledUntil: number;
    throttleCheckTimeoutId: NodeJS.Timeout | null;
    pending: unknown[];
    checkPendingRequests(): void;
  }
  if (RequestQueue.prototype.scheduleCheckPendingRequests === undefined) return;
  RequestQueue.prototype.scheduleCheckPendingRequests = function (this: Queue) {
    if (this.throttleCheckTimeoutId) return;
    let scheduleAt = this.throttledUntil - Date.now();
    if (this.pending.length > 0) scheduleAt = scheduleAt > 0 ? scheduleAt : 10;
    else if (scheduleAt <= 0) return;
    this.throttleCheckTimeoutId = setTimeout(() => {
      this.throttleCheckTimeoutId = null;
      this.checkPendingRequests();
    }, scheduleAt);
  };
}
patchRequestQueue();

/**
 * kafkajs's DefaultPartitioner (the Java client's: murmur2 of the key modulo the topic's
 * partitions), remembering each key's answer: a relay batch is hundreds of messages with
 * one key (the event), and the hash was computed again for every one of them. Same
 * partitions as DefaultPartitioner, so a producer using either keeps an event's order.
 */
export const KeyedPartitioner: ICustomPartitioner = () => {
  const partitioner = Partitioners.DefaultPartitioner();
  const known = new Map<string, number>();
  return (args) => {
    const { topic, partitionMetadata, message } = args;
    if (message.partition != null || typeof message.key !== 'string') return partitioner(args);
    const id = `${topic} ${partitionMetadata.length} ${message.key}`;
    let partition = known.get(id);
    if (partition === undefined) {
      partition = partitioner(args);
      if (known.size >= 10_000) known.clear();
      known.set(id, partition);
    }
    return partition;
  };
};

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
