// A Kafka consumer that handles whole batches and commits a batch's offset only after
// its handler resolved — the handler's work is durable by then — so a crash anywhere
// means a redelivery, never a loss. Handlers must therefore be idempotent.
import type { Consumer, Kafka, KafkaMessage } from 'kafkajs';

export interface BatchConsumerOptions {
  groupId: string;
  topics: string[];
  sessionTimeoutMs?: number;
  /** Writes the batch durably; throwing makes Kafka deliver it again. */
  handle: (topic: string, partition: number, messages: KafkaMessage[]) => Promise<void>;
}

export function createBatchConsumer(kafka: Kafka, options: BatchConsumerOptions) {
  const consumer: Consumer = kafka.consumer({
    groupId: options.groupId,
    sessionTimeout: options.sessionTimeoutMs ?? 30_000,
    heartbeatInterval: 3000,
    // About one relay request's worth (≤ 1000 changes) per partition and fetch: a backlog
    // is written and committed a relay batch at a time instead of megabytes at once (the
    // broker still returns a larger record batch whole).
    maxBytesPerPartition: 256 * 1024,
  });

  async function start() {
    await consumer.connect();
    await consumer.subscribe({ topics: options.topics, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async ({
        batch,
        resolveOffset,
        heartbeat,
        isRunning,
        isStale,
        commitOffsetsIfNecessary,
      }) => {
        if (!isRunning() || isStale() || batch.messages.length === 0) return;
        await options.handle(batch.topic, batch.partition, batch.messages);
        const last = batch.messages[batch.messages.length - 1]?.offset as string;
        resolveOffset(last);
        // Durable: now, and only now, Kafka may forget it. Through the batch's own commit:
        // consumer.commitOffsets does nothing once the consumer is stopping, so the batch
        // in flight at a SIGTERM would be written but not committed.
        await commitOffsetsIfNecessary({
          topics: [
            {
              topic: batch.topic,
              partitions: [{ partition: batch.partition, offset: (BigInt(last) + 1n).toString() }],
            },
          ],
        });
        await heartbeat();
      },
    });
  }

  return { start, stop: () => consumer.disconnect() };
}

/** A message value as JSON, or undefined when it is not JSON at all. */
export function parseJson(value: Buffer | null): unknown {
  try {
    return JSON.parse(String(value ?? ''));
  } catch {
    return undefined;
  }
}
