// Consumer group `persister`: reservations.v1 → Postgres, in batches: one idempotent
// upsert per batch (the rows, the events' marks, the fans' notifications), its offset
// committed only after the write (see batch-consumer.ts). A traced change's processing
// and its write are spans of its trace, and its line says it was persisted
// (consumer-spans.ts).
import type { Kafka } from 'kafkajs';
import { Counter, Histogram, type Registry } from 'prom-client';
import { persistSteps } from '../core/records/persist.js';
import { parseReservationChange, type ReservationChange } from '../core/reservations/changes.js';
import type { Sql } from '../platform/db/client.js';
import type { Logger } from '../platform/logger.js';
import { tracingOn } from '../platform/tracing.js';
import { createBatchConsumer } from './batch-consumer.js';
import {
  endSpans,
  logTracedChanges,
  messageLogFields,
  startProcessSpan,
  startWriteSpans,
  type TracedChange,
} from './consumer-spans.js';

export interface ConsumerOptions {
  topic: string;
  groupId: string;
  sessionTimeoutMs?: number;
}

export interface PersisterOptions extends ConsumerOptions {
  /** REDIS_KEY_PREFIX: the engine whose event marks this persister raises */
  namespace: string;
  /** NOTIFY_CHANNEL: the steps a fan is told of get their notification with their row */
  notifyChannel: string;
}

export function createPersister(
  kafka: Kafka,
  sql: Sql,
  logger: Logger,
  registry: Registry,
  options: PersisterOptions,
) {
  const persisted = new Counter({
    name: 'persister_messages_total',
    help: 'Reservation steps persisted',
    registers: [registry],
  });
  const rejected = new Counter({
    name: 'persister_rejected_total',
    help: 'Unreadable messages skipped',
    registers: [registry],
  });
  const batchSeconds = new Histogram({
    name: 'persister_batch_duration_seconds',
    help: 'Time to write one batch to Postgres',
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
    registers: [registry],
  });
  const lag = new Histogram({
    name: 'persister_end_to_end_seconds',
    help: 'From the change in Redis to its row in Postgres',
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [registry],
  });

  return createBatchConsumer(kafka, {
    groupId: options.groupId,
    topics: [options.topic],
    sessionTimeoutMs: options.sessionTimeoutMs,
    handle: async (topic, partition, messages) => {
      const steps: ReservationChange[] = [];
      const handled: TracedChange[] | undefined = tracingOn() ? [] : undefined;
      for (const message of messages) {
        const step = parseReservationChange(message.value);
        if (step) {
          steps.push(step);
          const span = handled && startProcessSpan(options.groupId, topic, partition, message);
          if (span) handled?.push({ span, message, change: step });
        } else {
          rejected.inc();
          logger.error(
            { offset: message.offset, partition, ...messageLogFields(message) },
            'unreadable reservation message skipped',
          );
        }
      }
      const stop = batchSeconds.startTimer();
      const traced = handled?.map((h) => h.span);
      const writes = traced ? startWriteSpans(traced, 'upsert reservations', steps.length) : [];
      try {
        await persistSteps(sql, steps, {
          namespace: options.namespace,
          notifyChannel: options.notifyChannel,
        });
      } catch (err) {
        if (traced) endSpans([...writes, ...traced], err);
        throw err;
      }
      stop();
      if (traced && handled) {
        endSpans([...writes, ...traced]);
        logTracedChanges(logger, options.groupId, handled, 'change persisted');
      }
      const now = Date.now();
      for (const step of steps) lag.observe((now - Date.parse(step.at)) / 1000);
      persisted.inc(steps.length);
    },
  });
}
