// The rebuild's merge (core/records/rebuild.ts) on fakes of Postgres, Redis and Kafka: per
// reservation the newest step wins, sales are never dropped, the youngest live holds that
// no longer fit end as expired, and the counts come from what stands.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type RebuildDeps, RebuildRefused, rebuildEvent } from '../../core/records/rebuild.js';
import { eventMarks, events, reservations, ticketCategories } from '../../drizzle/schema/index.js';

type Hold = Parameters<RebuildDeps['holds']['restore']>[0];
type Row = typeof reservations.$inferSelect;
type Counts = { held: number; confirmed: number };
type Holder = { userId: string; total: number; inCategory: number };

const E = '0193a0b2-7c1e-7d3a-9f00-1c2d3e4f5a6b';
const BOOT = { boot: '1', runId: 'r' };
const T0 = Date.parse('2026-12-01T10:00:00Z');

interface World {
  capacity: Record<string, number>;
  /** the durable record */
  rows: Row[];
  /** what Redis still holds, by id */
  redis: Record<string, Hold>;
  /** Redis's change number for the event; the record's mark */
  redisSeq?: number;
  recordSeq?: number;
  /** Kafka messages the persister has not committed */
  lag?: number;
  /** the catalog has no such event */
  noEvent?: boolean;
}

/** Runs the rebuild on fakes; returns its result and every write it made to Redis. */
async function rebuild(world: World, waitMs = 1000) {
  const restored: { hold: Hold; evict: boolean }[] = [];
  const counts = new Map<string, { counts: Counts; holders: Holder[] }>();
  const categories = Object.entries(world.capacity).map(([id, capacity]) => ({
    id,
    capacity,
    seatMap: null,
    blockedSeats: [],
  }));
  const tables = new Map<unknown, unknown[]>([
    [events, world.noEvent ? [] : [{ id: E, status: 'on_sale', holdTtlSeconds: 300 }]],
    [ticketCategories, categories],
    [reservations, world.rows],
    [eventMarks, world.recordSeq === undefined ? [] : [{ changeSeq: world.recordSeq }]],
  ]);
  const db = {
    select: () => ({
      from: (table: unknown) => ({
        where: () => {
          const rows = Promise.resolve(tables.get(table) ?? []);
          return Object.assign(rows, { orderBy: () => rows });
        },
      }),
    }),
  };
  const holds = {
    fence: async () => ({ at: BOOT, exists: true, changeSeq: world.redisSeq ?? 0 }),
    setEventState: async () => {},
    setCategory: async () => {},
    outboxLength: async () => 0,
    markVerified: async () => true,
    findMany: async (_: string, ids: string[]) => ids.map((id) => world.redis[id] ?? null),
    restore: async (hold: Hold, options: { evict?: boolean } = {}) => {
      restored.push({ hold, evict: options.evict ?? false });
      return true;
    },
    setCounts: async (_: string, id: string, c: Counts, holders: Holder[]) => {
      counts.set(id, { counts: c, holders });
    },
  };
  const kafkaAdmin = {
    fetchTopicOffsets: async () => [{ partition: 0, offset: String(world.lag ?? 0), low: '0' }],
    fetchOffsets: async () => [{ topic: 't', partitions: [{ partition: 0, offset: '0' }] }],
  };
  const deps = {
    db,
    holds,
    kafkaAdmin,
    topic: 't',
    persisterGroup: 'g',
    defaultHoldTtlSeconds: 300,
    namespace: '',
  } as unknown as RebuildDeps;
  const result = await rebuildEvent(deps, E, BOOT, { waitMs });
  return { result, restored, counts };
}

let n = 0;
/** A record row: created `age` ms after T0, in category `c`. */
function row(status: Row['status'], over: Partial<Row> = {}): Row {
  n += 1;
  return {
    id: `r${n}`,
    eventId: E,
    categoryId: 'c',
    userId: 'u1',
    quantity: 1,
    status,
    seq: status === 'held' ? 1 : 2,
    expiresAt: new Date(T0 + 300_000),
    createdAt: new Date(T0 + n),
    confirmedAt: status === 'confirmed' ? new Date(T0 + 1000) : null,
    endedAt: null,
    updatedAt: new Date(T0),
    seats: null,
    ...over,
  } as Row;
}

/** The hold Redis would have of a row, at another step. */
const inRedis = (r: Row, over: Partial<Hold>): Hold => ({
  id: r.id,
  eventId: E,
  categoryId: r.categoryId,
  userId: r.userId,
  quantity: r.quantity,
  status: r.status,
  expiresAt: r.expiresAt.getTime(),
  createdAt: r.createdAt.getTime(),
  seq: r.seq,
  ...over,
});

describe('the rebuild', () => {
  it('verifies the event as it is when Redis has every change the record knows', async () => {
    const { result, restored } = await rebuild({
      capacity: { c: 10 },
      rows: [row('confirmed')],
      redis: {},
      redisSeq: 7,
      recordSeq: 7,
    });
    expect(result).toEqual({
      eventId: E,
      outcome: 'verified',
      restoredHolds: 0,
      evictedHolds: 0,
      marked: true,
    });
    expect(restored).toEqual([]);
  });

  it('puts back the record’s newer steps and leaves Redis’s newer ones', async () => {
    const sold = row('confirmed', { userId: 'u1', quantity: 2 });
    const released = row('held', { userId: 'u2' });
    const lost = row('held', { userId: 'u3', quantity: 3 });
    const { result, restored, counts } = await rebuild({
      capacity: { c: 10 },
      rows: [sold, released, lost],
      // Redis had the sale's hold only as held, and the release after what the record has.
      redis: {
        [sold.id]: inRedis(sold, { status: 'held', seq: 1 }),
        [released.id]: inRedis(released, { status: 'released', seq: 2, endedAt: T0 + 5 }),
      },
      redisSeq: 3,
      recordSeq: 9,
    });
    expect(result).toMatchObject({ outcome: 'reconciled', restoredHolds: 2, evictedHolds: 0 });
    expect(restored.map((r) => [r.hold.id, r.hold.status, r.evict])).toEqual([
      [sold.id, 'confirmed', false],
      [lost.id, 'held', false],
    ]);
    expect(counts.get('c')?.counts).toEqual({ held: 3, confirmed: 2 });
    expect(counts.get('c')?.holders).toEqual([
      { userId: 'u1', total: 2, inCategory: 2 },
      { userId: 'u2', total: 0, inCategory: 0 },
      { userId: 'u3', total: 3, inCategory: 3 },
    ]);
  });

  it('ends the youngest live holds that no longer fit as expired, never a sale', async () => {
    const older = row('held', { userId: 'u1', quantity: 2 });
    const younger = row('held', { userId: 'u2', quantity: 2 });
    // A sale the record knows and Redis lost: the release that made room for it was lost too.
    const sale = row('confirmed', { userId: 'u3', quantity: 3, createdAt: new Date(T0 + 999) });
    const { result, restored, counts } = await rebuild({
      capacity: { c: 5 },
      rows: [younger, sale, older],
      redis: { [older.id]: inRedis(older, {}), [younger.id]: inRedis(younger, {}) },
      recordSeq: 4,
    });
    expect(result).toMatchObject({ outcome: 'reconciled', restoredHolds: 2, evictedHolds: 1 });
    expect(restored.map((r) => [r.hold.id, r.evict])).toEqual([
      [younger.id, true],
      [sale.id, false],
    ]);
    expect(counts.get('c')?.counts).toEqual({ held: 2, confirmed: 3 });
  });

  it('refuses an unknown event, and waits for no persister that is behind', async () => {
    const missing = rebuild({ capacity: {}, rows: [], redis: {}, noEvent: true });
    await expect(missing).rejects.toMatchObject({ reason: 'not_found' });
    const behind = rebuild({ capacity: { c: 1 }, rows: [], redis: {}, lag: 5 }, -1);
    await expect(behind).rejects.toBeInstanceOf(RebuildRefused);
    await expect(behind).rejects.toMatchObject({ reason: 'persister_behind' });
  });
});

/** A reservation as the record has it and, maybe, as Redis has it at another step. */
const reservation = fc.record({
  category: fc.constantFrom('a', 'b'),
  user: fc.constantFrom('u1', 'u2', 'u3'),
  quantity: fc.integer({ min: 1, max: 4 }),
  age: fc.integer({ min: 0, max: 100 }),
  recorded: fc.constantFrom('held', 'confirmed', 'released', 'expired', 'cancelled'),
  seq: fc.integer({ min: 1, max: 3 }),
  redis: fc.option(
    fc.record({
      status: fc.constantFrom('held', 'confirming', 'confirmed', 'released', 'expired'),
      seq: fc.integer({ min: 1, max: 3 }),
    }),
  ),
});

describe('the rebuild, property-tested', () => {
  it('never oversells, never drops a sale, and counts what stands', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(reservation, { maxLength: 12 }),
        fc.record({ a: fc.integer({ min: 0, max: 8 }), b: fc.integer({ min: 0, max: 8 }) }),
        async (drawn, capacity) => {
          const rows = drawn.map((d, i) =>
            row(d.recorded as Row['status'], {
              id: `x${i}`,
              categoryId: d.category,
              userId: d.user,
              quantity: d.quantity,
              seq: d.seq,
              createdAt: new Date(T0 + d.age),
            }),
          );
          const redis = Object.fromEntries(
            drawn.flatMap((d, i) => {
              const r = rows[i] as Row;
              return d.redis ? [[r.id, inRedis(r, d.redis as Partial<Hold>)]] : [];
            }),
          );
          const { restored, counts } = await rebuild({ capacity, rows, redis, recordSeq: 1 });
          // The newest step of each reservation, as the merge must take it.
          const newest = rows.map((r) => {
            const live = redis[r.id];
            return live && live.seq > r.seq ? live : { ...r, seq: r.seq };
          });
          const evicted = new Set(restored.filter((r) => r.evict).map((r) => r.hold.id));
          for (const [category, cap] of Object.entries(capacity)) {
            const of = newest.filter((h) => h.categoryId === category);
            const sum = (hs: typeof of) => hs.reduce((s, h) => s + h.quantity, 0);
            const sold = sum(of.filter((h) => h.status === 'confirmed'));
            const live = of.filter((h) => ['held', 'confirming'].includes(h.status));
            const c = counts.get(category)?.counts;
            expect(c?.confirmed).toBe(sold);
            expect(c?.held).toBe(sum(live.filter((h) => !evicted.has(h.id))));
            if (c && c.held > 0) expect(c.held + c.confirmed).toBeLessThanOrEqual(cap);
          }
          for (const h of newest)
            if (h.status === 'confirmed') expect(evicted.has(h.id)).toBe(false);
          // Every step Redis lacks is put back; one Redis has at that step or later is not.
          for (const h of newest) {
            const behind = (redis[h.id]?.seq ?? 0) < h.seq;
            expect(restored.some((r) => r.hold.id === h.id)).toBe(behind || evicted.has(h.id));
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
