// Kafka names and partitioning (platform/kafka.ts): an event's changes keep one partition.
import fc from 'fast-check';
import { Partitioners } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { KeyedPartitioner, kafkaNames, TOPICS } from '../../platform/kafka.js';

const metadata = (n: number) =>
  Array.from({ length: n }, (_, partitionId) => ({
    partitionId,
    leader: 0,
    partitionErrorCode: 0,
    replicas: [0],
    isr: [0],
  }));

describe('topics and groups', () => {
  it('carry the prefix, and are the engine’s defaults without one', () => {
    const names = kafkaNames('t1.');
    expect([names.reservations, names.catalog, names.group('persister')]).toEqual([
      't1.reservations.v1',
      't1.catalog.v1',
      't1.persister',
    ]);
    expect([TOPICS.reservations, TOPICS.group('notifier')]).toEqual([
      'reservations.v1',
      'notifier',
    ]);
  });
});

describe('the keyed partitioner', () => {
  it('picks the partition kafkajs’s default partitioner picks, every time', () => {
    const keyed = KeyedPartitioner();
    const reference = Partitioners.DefaultPartitioner();
    fc.assert(
      fc.property(
        fc.constantFrom('a', 'b'),
        fc.integer({ min: 1, max: 64 }),
        fc.oneof(fc.uuid(), fc.string()),
        (topic, n, key) => {
          const args = { topic, partitionMetadata: metadata(n), message: { key, value: 'v' } };
          const partition = keyed(args);
          expect(partition).toBe(reference(args));
          expect(keyed(args)).toBe(partition);
        },
      ),
    );
  });

  it('keeps a partition the message names', () => {
    const args = {
      topic: 't',
      partitionMetadata: metadata(6),
      message: { key: 'k', value: 'v', partition: 4 },
    };
    expect(KeyedPartitioner()(args)).toBe(4);
  });
});
