// What waiting users cost Redis: N users join one event's waiting room (through the same
// script as the api), then MEMORY USAGE of the queue's keys, per user.
//
//   node --import tsx perf/queue-memory.ts [N=100000]
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { createQueue } from '../core/queue/queue.js';
import { createHoldsFromConfig } from '../core/reservations/holds.js';
import { loadConfigOrExit } from '../platform/config.js';

const n = Number(process.argv[2] ?? 100_000);
const config = loadConfigOrExit();
const redis = new Redis(config.REDIS_URL);
const prefix = `queue-memory-${Date.now()}:`;
const holds = createHoldsFromConfig(redis, { ...config, REDIS_KEY_PREFIX: prefix });
const queue = createQueue(redis, prefix);
const eventId = randomUUID();
await holds.setEventState(eventId, {
  status: 'draft',
  holdTtlSeconds: 300,
  perUserLimit: 10,
  waitingRoom: { enabled: true, admitPerSecond: 100, passTtlSeconds: 600 },
});
const started = Date.now();
for (let i = 0; i < n; i += 1000)
  await Promise.all(
    Array.from({ length: Math.min(1000, n - i) }, () => queue.join(eventId, randomUUID())),
  );
const joinMs = Date.now() - started;
const k = holds.keys.event(eventId);
const bytes: Record<string, number> = {};
for (const [name, key] of Object.entries({
  queue: k.queue,
  joined: k.queueJoined,
  admitted: k.queueAdmitted,
  state: k.queueState,
}))
  bytes[name] = Number((await redis.call('MEMORY', 'USAGE', key, 'SAMPLES', '0')) ?? 0);
const total = Object.values(bytes).reduce((a, b) => a + b, 0);
console.log(
  JSON.stringify({
    waiting: n,
    joinMs,
    joinsPerSecond: Math.round(n / (joinMs / 1000)),
    bytes,
    totalMB: Math.round((total / 2 ** 20) * 10) / 10,
    bytesPerUser: Math.round(total / n),
  }),
);
await holds.forgetEvent(eventId);
redis.disconnect();
