// Redis CPU per seated hold (SPEC §8), measured where it is spent: the server's own
// INFO commandstats (usec of EVALSHA over its calls) around a run of holds on one
// 60,000-seat map (200 rows of 300), with a hold by count (reserve-7) beside it for scale.
// Phases: best-available 4 on an empty map, then with the front 80 % of the rows full
// (each pick first skips them), and exact holds of 2 seats. Only this run may use the
// Redis while it runs (commandstats count every client's calls), so give it one of its own:
//
//   redis-server --port 6399 --save '' --appendonly no &
//   REDIS_URL=redis://127.0.0.1:6399 node --import tsx perf/seat-cost.ts
//
// HOLDS (default 2000) holds per phase; the keys are under a prefix of their own and are
// deleted afterwards.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { SeatMapInput } from '../core/catalog/seat-map.js';
import { createHolds, DEFAULT_RULES, type Holds } from '../core/reservations/holds.js';

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6390';
const HOLDS = Number(process.env.HOLDS ?? 2000);
const ROWS = 200;
const PER_ROW = 300;
const prefix = `seatcost${randomUUID().slice(0, 8)}:`;

async function evalshaStats(redis: Redis) {
  const info = await redis.info('commandstats');
  const m = /cmdstat_evalsha:calls=(\d+),usec=(\d+)/.exec(info);
  return { calls: Number(m?.[1] ?? 0), usec: Number(m?.[2] ?? 0) };
}

/** Redis µs per script call over `run`, from the server's own count. */
async function measure(redis: Redis, what: string, run: () => Promise<void>) {
  const before = await evalshaStats(redis);
  await run();
  const after = await evalshaStats(redis);
  const calls = after.calls - before.calls;
  const perCall = (after.usec - before.usec) / calls;
  console.log(
    `${what.padEnd(48)} ${String(calls).padStart(6)} calls  ${perCall.toFixed(1)} µs/call`,
  );
  return perCall;
}

async function drop(holds: Holds, seated: boolean) {
  const eventId = randomUUID();
  const categoryId = randomUUID();
  await holds.setEventState(
    eventId,
    { status: 'on_sale', holdTtlSeconds: 3600, perUserLimit: 10 },
    { created: true },
  );
  const seatMap: SeatMapInput = {
    sections: [
      {
        name: 'Bowl',
        rows: Array.from({ length: ROWS }, (_, r) => ({ name: String(r + 1), seats: PER_ROW })),
      },
    ],
  };
  await holds.setCategory(eventId, {
    id: categoryId,
    name: 'Seats',
    capacity: ROWS * PER_ROW,
    perUserLimit: null,
    ...(seated ? { seatMap, noSingleSeatGaps: false, blockedSeats: [] } : {}),
  });
  return { eventId, categoryId };
}

/** `count` calls, 16 in flight at a time (the api's concurrency, not a single queue). */
async function inFlight(count: number, call: (i: number) => Promise<unknown>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < count) await call(next++);
    }),
  );
}

async function main() {
  const redis = new Redis(url);
  const holds = createHolds(redis, {
    ...DEFAULT_RULES,
    defaultHoldTtlSeconds: 3600,
    paymentWindowMs: 60_000,
    keyPrefix: prefix,
    reserveBatchMax: 1,
  });
  console.log(`Redis ${url}, ${ROWS} rows × ${PER_ROW} seats, ${HOLDS} holds per phase`);
  try {
    const plain = await drop(holds, false);
    await measure(redis, 'hold by count, quantity 4 (reserve-7)', () =>
      inFlight(HOLDS, () => holds.reserve({ ...plain, userId: randomUUID(), quantity: 4 })),
    );
    const seated = await drop(holds, true);
    const best = (i: number) => () =>
      inFlight(i, () =>
        holds.reserveSeats({ ...seated, userId: randomUUID(), choice: { adjacent: 4 } }),
      );
    await measure(redis, 'best-available 4, front rows free', best(HOLDS));
    // Fill the front 80 % of the rows with exact holds of 10, then pick again: each pick
    // now starts by skipping 160 full rows.
    const fill = Math.floor(ROWS * 0.8);
    const state = (await holds.seatStatus(seated.eventId, seated.categoryId))?.state ?? '';
    const free: string[] = [];
    for (let pos = 0; pos < fill * PER_ROW; pos += 1)
      if (state[pos] === 'a')
        free.push(`Bowl-${Math.floor(pos / PER_ROW) + 1}-${(pos % PER_ROW) + 1}`);
    await inFlight(Math.ceil(free.length / 10), (i) =>
      holds.reserveSeats({
        ...seated,
        userId: randomUUID(),
        choice: { seats: free.slice(i * 10, i * 10 + 10) },
      }),
    );
    await measure(redis, `best-available 4, front ${fill} rows full`, best(HOLDS));
    // Exact holds on a map of their own, every one of them two free seats.
    const exact = await drop(holds, true);
    const back = Array.from({ length: HOLDS }, (_, i) => {
      const pos = ROWS * PER_ROW - 1 - 2 * i;
      const row = Math.floor(pos / PER_ROW) + 1;
      const label = (pos % PER_ROW) + 1;
      return [`Bowl-${row}-${label - 1}`, `Bowl-${row}-${label}`];
    });
    await measure(redis, 'exact seats, 2 per hold', () =>
      inFlight(HOLDS, (i) =>
        holds.reserveSeats({
          ...exact,
          userId: randomUUID(),
          choice: { seats: back[i] as string[] },
        }),
      ),
    );
  } finally {
    // KEEP=1 leaves the keys, to look at them afterwards.
    let cursor = process.env.KEEP ? '0' : '';
    while (cursor !== '0') {
      const [next, keys] = await redis.scan(cursor || '0', 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.unlink(...keys);
    }
    redis.disconnect();
  }
}

await main();
