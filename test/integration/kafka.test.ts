// The stack's broker really works through kafkajs: topics are created idempotently, and a
// message produced with the idempotent producer (acks=all) is consumed by a group.
import { randomUUID } from 'node:crypto';
import { type Admin, Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTopics, kafkaNames } from '../../platform/kafka.js';
import { services, testConfig } from '../helpers/services.js';

let kafka: Kafka;
let admin: Admin;
const topic = `test.kafka.${randomUUID()}`;

beforeAll(async () => {
  kafka = new Kafka({
    clientId: 'kafka-test',
    brokers: services().kafkaBrokers.split(','),
    logLevel: logLevel.NOTHING,
  });
  admin = kafka.admin();
  await admin.connect();
});
afterAll(async () => {
  await admin?.deleteTopics({ topics: [topic] }).catch(() => {});
  await admin?.disconnect();
});

describe('kafka', () => {
  it('creates the engine topics idempotently, even from several processes at once', async () => {
    const config = testConfig();
    await Promise.all([ensureTopics(admin, config), ensureTopics(admin, config)]);
    await ensureTopics(admin, config);
    const names = kafkaNames(config.KAFKA_TOPIC_PREFIX);
    expect(names.reservations).toBe(`${config.KAFKA_TOPIC_PREFIX}reservations.v1`);
    const meta = await admin.fetchTopicMetadata({ topics: [names.reservations, names.catalog] });
    const partitions = Object.fromEntries(meta.topics.map((t) => [t.name, t.partitions.length]));
    expect(partitions).toEqual({
      [names.reservations]: config.KAFKA_RESERVATIONS_PARTITIONS,
      [names.catalog]: config.KAFKA_CATALOG_PARTITIONS,
    });
  });

  it('produces with an idempotent producer and consumes in a group', async () => {
    await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const sent = Array.from({ length: 20 }, (_, i) => ({
      key: `event-${i % 4}`,
      value: JSON.stringify({ seq: i }),
    }));
    await producer.send({ topic, acks: -1, messages: sent });
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId: `test-${randomUUID()}` });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const received: { key: string; seq: number; partition: number }[] = [];
    const all = new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: async ({ message, partition }) => {
          received.push({
            key: String(message.key),
            seq: (JSON.parse(String(message.value)) as { seq: number }).seq,
            partition,
          });
          if (received.length === sent.length) resolve();
        },
      });
    });
    await all;
    await consumer.disconnect();

    expect(received.map((r) => r.seq).sort((a, b) => a - b)).toEqual(sent.map((_, i) => i));
    // One key, one partition, in order: what keying by eventId relies on.
    for (const key of ['event-0', 'event-1', 'event-2', 'event-3']) {
      const ofKey = received.filter((r) => r.key === key);
      expect(new Set(ofKey.map((r) => r.partition)).size).toBe(1);
      expect(ofKey.map((r) => r.seq)).toEqual([...ofKey.map((r) => r.seq)].sort((a, b) => a - b));
    }
  });
});
