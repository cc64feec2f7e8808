// Group commit (core/reservations/reserve-batch.ts, lua/reserveBatch-n.lua) against a real
// Redis: a group of reserves answers, changes the stock, the users' totals, the holds and
// the outbox exactly as the same reserves sent one by one. fast-check drives random mixes
// of users, quantities, limits, idempotency keys, queue passes and sold-out edges through
// both, on two events set up alike.
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScriptReply } from '../../core/reservations/hold.js';
import { newHoldId } from '../../core/reservations/hold-ids.js';
import {
  createHolds,
  DEFAULT_RESERVE_BATCH_MAX,
  DEFAULT_RULES,
  type Holds,
} from '../../core/reservations/holds.js';
import { type EventKeys, eventKeys } from '../../core/reservations/keys.js';
import {
  type ReserveRequest,
  reserveAlone,
  reserveGroup,
} from '../../core/reservations/reserve-batch.js';
import { scriptRunnerOf } from '../../core/reservations/scripts.js';
import type { RedisClient } from '../../platform/redis.js';
import { checkInvariants } from '../helpers/invariants.js';
import { REDIS_KEY_PREFIX, testRedis } from '../helpers/services.js';

const RULES = {
  ...DEFAULT_RULES,
  defaultHoldTtlSeconds: 300,
  paymentWindowMs: 60_000,
  keyPrefix: REDIS_KEY_PREFIX,
};
const TTLS = { idempotencyTtlMs: RULES.idempotencyTtlMs, defaultHoldTtlSeconds: 300 };
const USERS = ['u0', 'u1', 'u2', 'u3'].map((u) => `${u}-${randomUUID()}`);
const CATEGORIES = [randomUUID(), randomUUID()];

let redis: RedisClient;
let holds: Holds;

beforeAll(async () => {
  redis = await testRedis();
  holds = createHolds(redis, RULES);
});
afterAll(() => redis.disconnect());

interface Drop {
  status: 'on_sale' | 'paused';
  perUserLimit: number;
  waitingRoom: boolean;
  categories: { capacity: number; perUserLimit: number }[];
}

interface Ask {
  user: number;
  /** an index into CATEGORIES, or 2: a category the event does not have */
  category: number;
  quantity: number;
  idempotency: { key: number; body: number } | null;
  queuePass: '' | 'invalid' | 'pass';
}

const drop = fc.record<Drop>({
  status: fc.constantFrom('on_sale', 'on_sale', 'on_sale', 'paused'),
  perUserLimit: fc.integer({ min: 1, max: 12 }),
  waitingRoom: fc.boolean(),
  categories: fc.array(
    fc.record({
      capacity: fc.integer({ min: 0, max: 14 }),
      perUserLimit: fc.integer({ min: 0, max: 6 }),
    }),
    { minLength: 2, maxLength: 2 },
  ),
});

const ask = fc.record<Ask>({
  user: fc.integer({ min: 0, max: USERS.length - 1 }),
  category: fc.constantFrom(0, 0, 1, 1, 2),
  // 0 and 11 are out of range: refused as bad arguments by both.
  quantity: fc.oneof(fc.integer({ min: 1, max: 10 }), fc.constantFrom(0, 11)),
  idempotency: fc.option(
    fc.record({ key: fc.integer({ min: 0, max: 2 }), body: fc.integer({ min: 0, max: 1 }) }),
    { freq: 3 },
  ),
  queuePass: fc.constantFrom('', 'invalid', 'pass'),
});

async function setUp(eventId: string, d: Drop) {
  await holds.setEventState(
    eventId,
    {
      status: d.status,
      holdTtlSeconds: 300,
      perUserLimit: d.perUserLimit,
      waitingRoom: { enabled: d.waitingRoom, admitPerSecond: 10, passTtlSeconds: 600 },
    },
    { created: true },
  );
  for (const [i, c] of d.categories.entries()) {
    await holds.setCategory(eventId, {
      id: CATEGORIES[i] as string,
      name: `C${i}`,
      capacity: c.capacity,
      perUserLimit: c.perUserLimit || null,
    });
  }
}

function requestsOf(eventId: string, asks: Ask[]): ReserveRequest[] {
  const k = eventKeys(eventId, REDIS_KEY_PREFIX);
  return asks.map((a) => {
    const userId = USERS[a.user] as string;
    return {
      holdId: newHoldId(eventId),
      eventId,
      categoryId: CATEGORIES[a.category] ?? randomUUID(),
      userId,
      quantity: a.quantity,
      fingerprint: a.idempotency ? `body-${a.idempotency.body}` : '',
      idemKey: k.idempotency(userId, a.idempotency ? `key-${a.idempotency.key}` : '-'),
      queuePass: a.queuePass === 'pass' ? `pass-${userId}` : a.queuePass,
    };
  });
}

/** What a reply says, with the hold named by the index of the request that placed it. */
function told(reply: ScriptReply, requests: ReserveRequest[]) {
  const [code, ...rest] = reply.map(String);
  if (code !== '1' && code !== '2') return [code, ...rest];
  const [id, expiresAt, createdAt] = rest;
  const placedBy = requests.findIndex((r) => r.holdId === id);
  return [code, placedBy, Number(expiresAt) - Number(createdAt)];
}

/** Everything the reserves change in the event, with ids and clock times taken out. */
async function stateOf(eventId: string, requests: ReserveRequest[]) {
  const k = eventKeys(eventId, REDIS_KEY_PREFIX);
  const index = (id: string) => requests.findIndex((r) => r.holdId === id);
  const categories = await Promise.all(CATEGORIES.map((c) => redis.hgetall(k.category(c))));
  const users = await Promise.all(USERS.map((u) => redis.hgetall(k.user(u))));
  const holdsHeld = await Promise.all(
    requests.map(async (r) => {
      const {
        id,
        eventId: _e,
        expiresAt,
        heldUntil,
        createdAt,
        ...rest
      } = await redis.hgetall(k.hold(r.holdId));
      return id
        ? { ...rest, ttl: Number(expiresAt) - Number(createdAt), same: heldUntil === expiresAt }
        : null;
    }),
  );
  const outbox = (await redis.xrange(k.outbox, '-', '+')).map(([, fields]) => {
    const entry: Record<string, string | number> = {};
    for (let i = 0; i < fields.length; i += 2) entry[fields[i] as string] = fields[i + 1] as string;
    const { reservationId, eventId: _e, at: _a, expiresAt: _x, ...rest } = entry;
    return { ...rest, placedBy: index(String(reservationId)) };
  });
  const changeSeq = await redis.hget(k.event, 'changeSeq');
  const idempotency = await Promise.all(
    USERS.flatMap((u) =>
      [0, 1, 2].map(async (key) => {
        const record = await redis.get(k.idempotency(u, `key-${key}`));
        return record && index(record.split('|')[0] as string);
      }),
    ),
  );
  return { categories, users, holdsHeld, outbox, changeSeq, idempotency };
}

const run = () => scriptRunnerOf(redis);

/** An on-sale event of `capacity` seats, and holds that tell the size of each group sent. */
async function groupingDrop(capacity: number) {
  const sizes: number[] = [];
  const grouping = createHolds(redis, { ...RULES, reserveGroupSent: (n) => sizes.push(n) });
  const eventId = randomUUID();
  await setUp(eventId, {
    status: 'on_sale',
    perUserLimit: 10,
    waitingRoom: false,
    categories: [
      { capacity, perUserLimit: 0 },
      { capacity: 0, perUserLimit: 0 },
    ],
  });
  return { sizes, grouping, eventId };
}
const keysOf = (eventId: string): EventKeys => eventKeys(eventId, REDIS_KEY_PREFIX);

describe('a group of reserves', () => {
  it('answers and changes everything exactly as the same reserves one by one', async () => {
    await fc.assert(
      fc.asyncProperty(drop, fc.array(ask, { minLength: 1, maxLength: 30 }), async (d, asks) => {
        const grouped = randomUUID();
        const alone = randomUUID();
        await setUp(grouped, d);
        await setUp(alone, d);
        const inGroup = requestsOf(grouped, asks);
        const oneByOne = requestsOf(alone, asks);

        const groupReplies = await reserveGroup(run(), keysOf(grouped), inGroup, TTLS);
        const aloneReplies: ScriptReply[] = [];
        for (const r of oneByOne)
          aloneReplies.push(await reserveAlone(run(), keysOf(alone), r, TTLS));

        expect(groupReplies.map((r) => told(r, inGroup))).toEqual(
          aloneReplies.map((r) => told(r, oneByOne)),
        );
        expect(await stateOf(grouped, inGroup)).toEqual(await stateOf(alone, oneByOne));
        await checkInvariants(redis, grouped);
      }),
      { numRuns: 40 },
    );
  }, 120_000);

  it('is what concurrent reserves of one event become, and never sells beyond the stock', async () => {
    const { sizes, grouping, eventId } = await groupingDrop(150);
    const results = await Promise.allSettled(
      Array.from({ length: 400 }, (_, i) =>
        grouping.reserve({
          eventId,
          categoryId: CATEGORIES[0] as string,
          userId: `fan-${i}`,
          quantity: 1,
        }),
      ),
    );
    const placed = results.filter((r) => r.status === 'fulfilled').length;
    expect(placed).toBe(150);
    // 400 requests in one turn: groups of at most 8 (DEFAULT_RESERVE_BATCH_MAX), the first
    // eight calls at once and each later one as a call comes back: 50 calls, none alone.
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(400);
    expect(Math.max(...sizes)).toBe(DEFAULT_RESERVE_BATCH_MAX);
    expect(sizes.length).toBe(400 / DEFAULT_RESERVE_BATCH_MAX);
    const counts = await checkInvariants(redis, eventId);
    expect(counts).toBeDefined();
  });

  it('sends a lone reserve alone, at once', async () => {
    const { sizes, grouping, eventId } = await groupingDrop(5);
    const { hold } = await grouping.reserve({
      eventId,
      categoryId: CATEGORIES[0] as string,
      userId: USERS[0] as string,
      quantity: 2,
    });
    expect(hold.quantity).toBe(2);
    expect(sizes).toEqual([1]);
  });
});
