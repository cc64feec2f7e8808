// SPEC §3 invariants, checked against Redis after every concurrency test and benchmark:
// the stock counters agree with the hold records they summarise, and nothing is oversold.
// Reads every hold of the event with SCAN: a check for tests and load runs, not for the
// request path.
import { Cluster } from 'ioredis';
import type { RedisClient } from '../../platform/redis.js';
import { eventKeys } from './keys.js';

interface HoldRecord {
  id: string;
  categoryId: string;
  userId: string;
  quantity: number;
  status: string;
  /** a seated hold's positions in its category's seat string (SPEC §8) */
  seatPos?: number[];
}

/**
 * The event's keys matching `pattern`: SCAN on the node that holds the event — on a
 * cluster on every node that answers (the pattern's hash tag matches on the event's master
 * and its replicas only), so a check right after a failover needs no fresh slot map.
 */
async function eventKeysMatching(redis: RedisClient, pattern: string): Promise<string[]> {
  const nodes = redis instanceof Cluster ? redis.nodes('all') : [redis];
  const keys = new Set<string>();
  await Promise.all(
    nodes.map(async (node) => {
      let cursor = '0';
      try {
        do {
          const [next, batch] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
          cursor = next;
          for (const key of batch) keys.add(key);
        } while (cursor !== '0');
      } catch (err) {
        if (!(redis instanceof Cluster)) throw err;
        // a dead node of the cluster: its replica, now master, answers for it
      }
    }),
  );
  return [...keys];
}

export async function holdsOf(
  redis: RedisClient,
  eventId: string,
  prefix: string,
): Promise<HoldRecord[]> {
  const pattern = eventKeys(eventId, prefix).hold('*');
  const keys = await eventKeysMatching(redis, pattern);
  const pipeline = redis.pipeline();
  for (const key of keys) pipeline.hgetall(key);
  const results = (await pipeline.exec()) ?? [];
  return results.map(([, h]) => {
    const r = h as Record<string, string>;
    return {
      id: r.id as string,
      categoryId: r.categoryId as string,
      userId: r.userId as string,
      quantity: Number(r.quantity),
      status: r.status as string,
      ...(r.seatPos ? { seatPos: r.seatPos.split(',').map(Number) } : {}),
    };
  });
}

export interface CategoryCounts {
  capacity: number;
  held: number;
  confirmed: number;
  available: number;
}

/**
 * Throws when an invariant fails: per category, held/confirmed counters equal the sums of
 * live/confirmed holds, held + confirmed ≤ capacity, available ≥ 0; per user, totals equal
 * their holds; the expiry set holds exactly the live holds. Returns the counts.
 */
export async function checkInvariants(
  redis: RedisClient,
  eventId: string,
  prefix: string,
): Promise<Record<string, CategoryCounts>> {
  const k = eventKeys(eventId, prefix);
  const holds = await holdsOf(redis, eventId, prefix);
  const live = (h: HoldRecord) => h.status === 'held' || h.status === 'confirming';
  const counts: Record<string, CategoryCounts> = {};
  for (const categoryId of await redis.smembers(k.categories)) {
    const c = await redis.hgetall(k.category(categoryId));
    const capacity = Number(c.capacity);
    const held = Number(c.held);
    const confirmed = Number(c.confirmed);
    const sum = (pred: (h: HoldRecord) => boolean) =>
      holds
        .filter((h) => h.categoryId === categoryId && pred(h))
        .reduce((n, h) => n + h.quantity, 0);
    const expect = (what: string, actual: number, wanted: number) => {
      if (actual !== wanted)
        throw new Error(`category ${categoryId}: ${what} is ${actual}, holds say ${wanted}`);
    };
    expect('held', held, sum(live));
    expect(
      'confirmed',
      confirmed,
      sum((h) => h.status === 'confirmed'),
    );
    if (held < 0 || confirmed < 0 || held + confirmed > capacity) {
      throw new Error(
        `category ${categoryId} oversold: held ${held} + confirmed ${confirmed} > capacity ${capacity}`,
      );
    }
    counts[categoryId] = { capacity, held, confirmed, available: capacity - held - confirmed };
    if (c.seated === '1') {
      const state = (await redis.get(k.seats(categoryId))) ?? '';
      const free = (await redis.getBuffer(k.seatFree(categoryId))) ?? Buffer.alloc(0);
      const mine = holds.filter((h) => h.categoryId === categoryId);
      checkSeats(categoryId, c, state, mine);
      checkFreeRows(categoryId, c.rows ?? '', state, free);
      checkSeatPlaces(
        categoryId,
        c.rows ?? '',
        await redis.hgetall(k.seatPositions(categoryId)),
        await redis.hgetall(k.seatIds(categoryId)),
      );
    }
  }
  const users = new Set(holds.map((h) => h.userId));
  for (const userId of users) {
    const total = Number((await redis.hget(k.user(userId), 'total')) ?? 0);
    const owned = holds
      .filter((h) => h.userId === userId && (live(h) || h.status === 'confirmed'))
      .reduce((n, h) => n + h.quantity, 0);
    if (total !== owned) throw new Error(`user ${userId}: total ${total}, holds say ${owned}`);
  }
  const inExpiry = new Set(await redis.zrange(k.expiry, 0, -1));
  const liveIds = new Set(holds.filter(live).map((h) => h.id));
  for (const id of liveIds)
    if (!inExpiry.has(id)) throw new Error(`live hold ${id} is not in the expiry set`);
  return counts;
}

/**
 * SPEC §8 for one seated category: no seat in two live or confirmed holds, each hold's
 * seats marked held (live) or sold (confirmed) and no other seat so, the blocked count and
 * the capacity as the seat string says, and held + sold + blocked + available = seats.
 */
function checkSeats(
  categoryId: string,
  category: Record<string, string>,
  state: string,
  holds: HoldRecord[],
) {
  const fail = (what: string) => {
    throw new Error(`seated category ${categoryId}: ${what}`);
  };
  if (state.length !== Number(category.seats))
    fail(`${state.length} seats in Redis, the map has ${category.seats}`);
  const owner = new Map<number, string>();
  for (const h of holds) {
    const live = h.status === 'held' || h.status === 'confirming';
    if (!live && h.status !== 'confirmed') continue;
    if (h.seatPos?.length !== h.quantity) fail(`hold ${h.id} has not ${h.quantity} seats`);
    for (const pos of h.seatPos ?? []) {
      const other = owner.get(pos);
      if (other) fail(`seat ${pos} is in holds ${other} and ${h.id}`);
      owner.set(pos, h.id);
      if (state[pos] !== (live ? 'h' : 's'))
        fail(`seat ${pos} of ${h.status} hold ${h.id} is '${state[pos]}'`);
    }
  }
  const counts = { a: 0, h: 0, s: 0, b: 0 };
  for (let pos = 0; pos < state.length; pos += 1) {
    const status = state[pos] as keyof typeof counts;
    if (!(status in counts)) fail(`seat ${pos} has status '${status}'`);
    counts[status] += 1;
    if ((status === 'h' || status === 's') && !owner.has(pos))
      fail(`seat ${pos} is '${status}' in no hold`);
  }
  if (counts.b !== Number(category.blocked))
    fail(`blocked is ${category.blocked}, the seats say ${counts.b}`);
  if (Number(category.capacity) !== state.length - counts.b)
    fail(`capacity ${category.capacity} is not the seats less the blocked`);
  if (counts.h !== Number(category.held) || counts.s !== Number(category.confirmed))
    fail(
      `held ${category.held}, confirmed ${category.confirmed}; the seats say ${counts.h}, ${counts.s}`,
    );
}

/** Each row's count of available seats (kept for best-available picks) as its seats say. */
function checkFreeRows(categoryId: string, rows: string, state: string, free: Buffer) {
  for (let r = 0; (r + 2) * 6 <= rows.length; r += 1) {
    const start = Number(rows.slice(r * 6, r * 6 + 6));
    const end = Number(rows.slice(r * 6 + 6, r * 6 + 12));
    const available = [...state.slice(start, end)].filter((c) => c === 'a').length;
    const counted = free.length >= r * 2 + 2 ? free.readUInt16BE(r * 2) : 0;
    if (counted !== available)
      throw new Error(
        `seated category ${categoryId}: row ${r} counts ${counted} available, has ${available}`,
      );
  }
}

/**
 * Each seat id's place (lua/includes/seatRows.lua), '<position>:<row>': the seat ids by
 * position have the seat there, the row is the one whose seats take in the position, and
 * every seat has one.
 */
function checkSeatPlaces(
  categoryId: string,
  rows: string,
  places: Record<string, string>,
  ids: Record<string, string>,
) {
  const fail = (what: string) => {
    throw new Error(`seated category ${categoryId}: ${what}`);
  };
  const starts: number[] = [];
  for (let at = 0; at + 6 <= rows.length; at += 6) starts.push(Number(rows.slice(at, at + 6)));
  const seats = starts.at(-1) ?? 0;
  if (Object.keys(places).length !== seats || Object.keys(ids).length !== seats)
    fail(`${seats} seats, ${Object.keys(places).length} places, ${Object.keys(ids).length} ids`);
  for (const [id, place] of Object.entries(places)) {
    const [, pos, row] = /^(\d+):(\d+)$/.exec(place)?.map(Number) ?? [];
    if (pos === undefined || row === undefined) fail(`seat ${id}'s place is '${place}'`);
    else if (ids[pos] !== id) fail(`seat ${id} is at ${pos}, where the ids have ${ids[pos]}`);
    else if (!((starts[row] ?? Infinity) <= pos && pos < (starts[row + 1] ?? -1)))
      fail(`seat ${id} at ${pos} is not in row ${row}`);
  }
}

/** Every key of the event with its content, to compare before and after a refusal. */
export async function snapshot(
  redis: RedisClient,
  eventId: string,
  prefix: string,
): Promise<Record<string, unknown>> {
  const pattern = `${prefix}{ev:${eventId}}:*`;
  const keys = await eventKeysMatching(redis, pattern);
  const out: Record<string, unknown> = {};
  for (const key of keys.sort()) {
    const type = await redis.type(key);
    if (type === 'hash') out[key] = await redis.hgetall(key);
    else if (type === 'set') out[key] = (await redis.smembers(key)).sort();
    else if (type === 'zset') out[key] = await redis.zrange(key, 0, -1, 'WITHSCORES');
    else if (type === 'stream') out[key] = await redis.xrange(key, '-', '+');
    else if (type === 'string') out[key] = await redis.get(key);
    out[`${key}#ttl`] = (await redis.pttl(key)) > 0 ? 'ttl' : 'none';
  }
  return out;
}
