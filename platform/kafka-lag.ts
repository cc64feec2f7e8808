// How far a consumer group is behind a topic: messages in the topic its committed
// offsets have not reached yet (a group that never committed is behind by everything).
import type { Admin } from 'kafkajs';

export async function consumerLag(admin: Admin, topic: string, groupId: string): Promise<number> {
  const [ends, [committed]] = await Promise.all([
    admin.fetchTopicOffsets(topic),
    admin.fetchOffsets({ groupId, topics: [topic] }),
  ]);
  let lag = 0n;
  for (const end of ends) {
    const at = BigInt(
      committed?.partitions.find((p) => p.partition === end.partition)?.offset ?? '-1',
    );
    const start = BigInt(end.low ?? '0');
    const from = at < 0n ? start : at;
    if (BigInt(end.offset) > from) lag += BigInt(end.offset) - from;
  }
  return Number(lag);
}
