// Consumer group `persister`: reservations.v1 → Postgres, in batches. A batch is written
// in one idempotent upsert and its offset committed only after that write is durable, so
// a crash anywhere means a redelivery, never a loss; redeliveries change nothing.
import type { Consumer, Kafka } from 'kafkajs';
import { Counter, Histogram, type Registry } from 'prom-client';
import type { Sql } from '../common/db/client.js';
import type { Logger } from '../common/logger.js';
import { ReservationEvent } from '../common/outbox/messages.js';
import { persistSteps } from '../common/pipeline/persist.js';

/** A message value as JSON, or undefined when it is not JSON at all. */
export function parseJson(value: Buffer | null): unknown {
  try {
    return JSON.parse(String(value ?? ''));
  } catch {
    return undefined;
  }
}

export interface ConsumerOptions {
  topic: string;
  groupId: string;
  sessionTimeoutMs?: number;
}

export function createPersister(
  kafka: Kafka,
  sql: Sql,
  logger: Logger,
  registry: Registry,
  options: ConsumerOptions,
) {
  const consumer: Consumer = kafka.consumer({
    groupId: options.groupId,
    sessionTimeout: options.sessionTimeoutMs ?? 30_000,
    heartbeatInterval: 3000,
  });
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

  async function start() {
    await consumer.connect();
    await consumer.subscribe({ topic: options.topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
        if (!isRunning() || isStale() || batch.messages.length === 0) return;
        const steps: ReservationEvent[] = [];
        for (const message of batch.messages) {
          const parsed = ReservationEvent.safeParse(parseJson(message.value));
          if (parsed.success) steps.push(parsed.data);
          else {
            rejected.inc();
            logger.error(
              { offset: message.offset, partition: batch.partition },
              'unreadable reservation message skipped',
            );
          }
        }
        const stop = batchSeconds.startTimer();
        await persistSteps(sql, steps);
        stop();
        const now = Date.now();
        for (const step of steps) lag.observe((now - Date.parse(step.at)) / 1000);
        persisted.inc(steps.length);
        const last = batch.messages[batch.messages.length - 1]?.offset as string;
        resolveOffset(last);
        // Durable in Postgres: now, and only now, Kafka may forget it.
        await consumer.commitOffsets([
          {
            topic: batch.topic,
            partition: batch.partition,
            offset: (BigInt(last) + 1n).toString(),
          },
        ]);
        await heartbeat();
      },
    });
  }

  return { start, stop: () => consumer.disconnect(), consumer };
}
