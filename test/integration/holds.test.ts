// The hold scripts against a real Redis, under real concurrency: thousands of parallel
// script calls over several connections, racing reapers, replayed idempotency keys.
// The SPEC §3 invariants are checked after every concurrency test.
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Hold, HoldError, HoldRefusal } from '../../core/reservations/hold.js';
import type { Holds } from '../../core/reservations/holds.js';
import { eventKeys } from '../../core/reservations/keys.js';
import { defineScripts } from '../../core/reservations/scripts.js';
import { createLogger } from '../../platform/logger.js';
import { createRegistry } from '../../platform/metrics.js';
import type { RedisClient } from '../../platform/redis.js';
import { createReaper } from '../../reaper/expiry.js';
import { useHoldsPool } from '../helpers/holds-pool.js';
import { checkInvariants, snapshot } from '../helpers/invariants.js';
import { eventually, REDIS_KEY_PREFIX } from '../helpers/services.js';

const pool = useHoldsPool();
let redis: RedisClient;
let holds: Holds;
const logger = createLogger({ LOG_LEVEL: 'silent', NODE_ENV: 'test' }, 'holds-test');

beforeAll(() => {
  redis = pool.redis;
  holds = pool.first;
});

/** Spreads calls over the connections, so Redis sees them from several clients. */
const onAny = pool.onAny;

async function newDrop(opts: {
  capacity: number;
  perUserLimit?: number;
  holdTtl?: number;
  categoryLimit?: number;
}) {
  const eventId = randomUUID();
  const categoryId = randomUUID();
  await holds.setEventState(
    eventId,
    {
      status: 'on_sale',
      holdTtlSeconds: opts.holdTtl ?? 300,
      perUserLimit: opts.perUserLimit ?? 10,
    },
    { created: true },
  );
  await holds.setCategory(eventId, {
    id: categoryId,
    name: 'GA',
    capacity: opts.capacity,
    perUserLimit: opts.categoryLimit ?? null,
  });
  return { eventId, categoryId };
}

const reserveArgs = (eventId: string, categoryId: string, userId: string, quantity: number) => ({
  eventId,
  categoryId,
  userId,
  quantity,
});

/** Settles every promise; returns the holds and the refusal codes. */
async function settle(calls: Promise<{ hold: Hold }>[]) {
  const results = await Promise.allSettled(calls);
  const granted: Hold[] = [];
  const refused: HoldError[] = [];
  for (const r of results) {
    if (r.status === 'fulfilled') granted.push(r.value.hold);
    else if (r.reason instanceof HoldRefusal) refused.push(r.reason.code);
    else throw r.reason;
  }
  return { granted, refused };
}

const outboxTypes = async (eventId: string) =>
  (await redis.xrange(eventKeys(eventId, REDIS_KEY_PREFIX).outbox, '-', '+')).map(([, fields]) => {
    const f: Record<string, string> = {};
    for (let i = 0; i < fields.length; i += 2) f[fields[i] as string] = fields[i + 1] as string;
    return f;
  });

describe('reserve under concurrency', () => {
  it('10,000 concurrent reserves on 500 seats hand out exactly the 500', async () => {
    const { eventId, categoryId } = await newDrop({ capacity: 500 });
    const users = Array.from({ length: 2000 }, () => randomUUID());
    const calls = Array.from({ length: 10_000 }, (_, i) =>
      onAny(i).reserve(
        reserveArgs(eventId, categoryId, users[i % users.length] as string, 1 + (i % 4)),
      ),
    );
    const { granted, refused } = await settle(calls);

    const seats = granted.reduce((n, h) => n + h.quantity, 0);
    expect(seats).toBe(500);
    expect(granted.length + refused.length).toBe(10_000);
    expect(new Set(refused)).toEqual(new Set([HoldError.SoldOut]));
    const counts = await checkInvariants(redis, eventId);
    expect(counts[categoryId]).toEqual({ capacity: 500, held: 500, confirmed: 0, available: 0 });
    // One outbox entry per hold, in the same atomic step.
    const outbox = await outboxTypes(eventId);
    expect(outbox).toHaveLength(granted.length);
    expect(new Set(outbox.map((e) => e.reservationId))).toEqual(new Set(granted.map((h) => h.id)));
  });

  it('50 concurrent retries with one Idempotency-Key make one hold', async () => {
    const { eventId, categoryId } = await newDrop({ capacity: 100 });
    const userId = randomUUID();
    const idempotency = {
      key: `key-${randomUUID()}`,
      fingerprint: `reserve|${eventId}|${categoryId}|3`,
    };
    const calls = Array.from({ length: 50 }, (_, i) =>
      onAny(i).reserve({ ...reserveArgs(eventId, categoryId, userId, 3), idempotency }),
    );
    const results = await Promise.all(calls);
    expect(new Set(results.map((r) => r.hold.id)).size).toBe(1);
    expect(results.filter((r) => !r.replayed)).toHaveLength(1);
    const counts = await checkInvariants(redis, eventId);
    expect(counts[categoryId]?.held).toBe(3);

    // The same key with another body, even for another event, is refused.
    const other = await newDrop({ capacity: 10 });
    await expect(
      holds.reserve({
        ...reserveArgs(eventId, categoryId, userId, 2),
        idempotency: { ...idempotency, fingerprint: 'other' },
      }),
    ).rejects.toMatchObject({ code: HoldError.IdempotencyKeyReused });
    await expect(
      holds.reserve({
        ...reserveArgs(other.eventId, other.categoryId, userId, 3),
        idempotency: {
          ...idempotency,
          fingerprint: `reserve|${other.eventId}|${other.categoryId}|3`,
        },
      }),
    ).rejects.toMatchObject({ code: HoldError.IdempotencyKeyReused });
    // ...and the same key for another user is theirs alone.
    const theirs = await holds.reserve({
      ...reserveArgs(eventId, categoryId, randomUUID(), 3),
      idempotency,
    });
    expect(theirs.replayed).toBe(false);
    await checkInvariants(redis, eventId);
  });

  it('the per-user limit holds under 30 parallel requests: exactly the limit', async () => {
    const { eventId, categoryId } = await newDrop({ capacity: 1000, perUserLimit: 10 });
    const userId = randomUUID();
    const { granted, refused } = await settle(
      Array.from({ length: 30 }, (_, i) =>
        onAny(i).reserve(reserveArgs(eventId, categoryId, userId, 1)),
      ),
    );
    expect(granted).toHaveLength(10);
    expect(refused).toEqual(Array(20).fill(HoldError.LimitExceeded));

    // A category's own, tighter limit.
    const tight = await newDrop({ capacity: 1000, perUserLimit: 10, categoryLimit: 3 });
    const r = await settle(
      Array.from({ length: 30 }, (_, i) =>
        onAny(i).reserve(reserveArgs(tight.eventId, tight.categoryId, userId, 1)),
      ),
    );
    expect(r.granted).toHaveLength(3);
    await checkInvariants(redis, eventId);
    await checkInvariants(redis, tight.eventId);
  });

  it('the event limit spans its categories', async () => {
    const { eventId, categoryId } = await newDrop({ capacity: 100, perUserLimit: 4 });
    const second = randomUUID();
    await holds.setCategory(eventId, {
      id: second,
      name: 'VIP',
      capacity: 100,
      perUserLimit: null,
    });
    const userId = randomUUID();
    await holds.reserve(reserveArgs(eventId, categoryId, userId, 3));
    await expect(holds.reserve(reserveArgs(eventId, second, userId, 2))).rejects.toMatchObject({
      code: HoldError.LimitExceeded,
      info: ['4', '3'],
    });
    await holds.reserve(reserveArgs(eventId, second, userId, 1));
    await checkInvariants(redis, eventId);
  });
});

describe('refusals change nothing', () => {
  it('every refusal code leaves the event keys exactly as they were', async () => {
    const { eventId, categoryId } = await newDrop({ capacity: 5, perUserLimit: 4 });
    const owner = randomUUID();
    const { hold } = await holds.reserve(reserveArgs(eventId, categoryId, owner, 4));
    const released = (await holds.reserve(reserveArgs(eventId, categoryId, randomUUID(), 1))).hold;
    await holds.giveBack(released.id, released.userId);
    const before = await snapshot(redis, eventId);

    const refusals: [HoldError, () => Promise<unknown>][] = [
      [HoldError.SoldOut, () => holds.reserve(reserveArgs(eventId, categoryId, randomUUID(), 2))],
      [HoldError.LimitExceeded, () => holds.reserve(reserveArgs(eventId, categoryId, owner, 1))],
      [
        HoldError.EventNotFound,
        () => holds.reserve(reserveArgs(randomUUID(), categoryId, owner, 1)),
      ],
      [
        HoldError.CategoryNotFound,
        () => holds.reserve(reserveArgs(eventId, randomUUID(), owner, 1)),
      ],
      [HoldError.NotOwner, () => holds.beginConfirm(hold.id, randomUUID())],
      [HoldError.NotOwner, () => holds.confirm(hold.id, randomUUID())],
      [HoldError.NotOwner, () => holds.giveBack(hold.id, randomUUID())],
      [HoldError.InvalidState, () => holds.beginConfirm(released.id, released.userId)],
      [HoldError.InvalidState, () => holds.confirm(released.id, released.userId)],
      [HoldError.InvalidState, () => holds.failPayment(released.id, released.userId)],
      [
        HoldError.HoldNotFound,
        () => holds.giveBack(`${hold.id.slice(0, 22)}${'A'.repeat(20)}`, owner),
      ],
      [HoldError.HoldNotFound, () => holds.giveBack(randomUUID(), owner)],
      [HoldError.NotDue, () => holds.expire(eventId, hold.id)],
      [
        HoldError.CapacityBelowSold,
        () =>
          holds.setCategory(eventId, {
            id: categoryId,
            name: 'GA',
            capacity: 3,
            perUserLimit: null,
          }),
      ],
    ];
    for (const [code, attempt] of refusals) {
      await expect(attempt(), HoldError[code]).rejects.toMatchObject({ code });
    }
    // A paused event refuses reserves with not_on_sale, and changes nothing else.
    await holds.setEventState(eventId, { status: 'paused', holdTtlSeconds: 300, perUserLimit: 4 });
    const paused = await snapshot(redis, eventId);
    await expect(
      holds.reserve(reserveArgs(eventId, categoryId, randomUUID(), 1)),
    ).rejects.toMatchObject({
      code: HoldError.NotOnSale,
      info: ['paused'],
    });
    expect(await snapshot(redis, eventId)).toEqual(paused);
    await holds.setEventState(eventId, { status: 'on_sale', holdTtlSeconds: 300, perUserLimit: 4 });

    expect(await snapshot(redis, eventId)).toEqual(before);
    await checkInvariants(redis, eventId);
  });

  it('garbage or missing arguments return an error code and write nothing', async () => {
    const { eventId, categoryId } = await newDrop({ capacity: 5 });
    const run = defineScripts(redis);
    const k = eventKeys(eventId, REDIS_KEY_PREFIX);
    const userId = randomUUID();
    const keys = [
      k.event,
      k.category(categoryId),
      k.user(userId),
      k.hold('h1'),
      k.expiry,
      k.outbox,
      k.idempotency(userId, '-'),
    ];
    const good = ['h1', eventId, categoryId, userId, 1, '', 86_400_000, 300];
    const before = await snapshot(redis, eventId);
    const bad: (string | number)[][] = [
      [],
      good.slice(0, 4),
      good.map((v, i) => (i === 4 ? 'many' : v)),
      good.map((v, i) => (i === 4 ? 0 : v)),
      good.map((v, i) => (i === 4 ? 11 : v)),
      good.map((v, i) => (i === 4 ? 2.5 : v)),
      good.map((v, i) => (i === 0 ? '' : v)),
      good.map((v, i) => (i === 6 ? -5 : v)),
      good.map((v, i) => (i === 7 ? 'x' : v)),
    ];
    for (const args of bad) {
      expect((await run('reserve', keys, args))[0], JSON.stringify(args)).toBe(
        HoldError.BadArguments,
      );
    }
    for (const [name, n] of [
      ['beginConfirm', 3],
      ['confirm', 4],
      ['failPayment', 3],
      ['giveBack', 4],
      ['expire', 3],
      ['setCategory', 2],
      ['setEventState', 1],
    ] as const) {
      expect((await run(name, keys.slice(0, n), []))[0], name).toBe(HoldError.BadArguments);
    }
    expect(await snapshot(redis, eventId)).toEqual(before);
    // The key count is part of the script's contract.
    await expect(run('reserve', keys.slice(0, 3), good)).rejects.toThrow(/takes 7 keys/);
  });
});

describe('lifecycle', () => {
  it('confirm, fail payment, release and cancel move stock exactly once each', async () => {
    const { eventId, categoryId } = await newDrop({ capacity: 10 });
    const userId = randomUUID();
    const { hold } = await holds.reserve(reserveArgs(eventId, categoryId, userId, 2));

    const begun = await holds.beginConfirm(hold.id, userId);
    expect(begun.hold.status).toBe('confirming');
    expect(begun.hold.expiresAt).toBeGreaterThanOrEqual(hold.expiresAt);
    // A confirm cut off mid-payment may begin again (the provider is idempotent per hold).
    expect((await holds.beginConfirm(hold.id, userId)).hold.status).toBe('confirming');
    const failed = await holds.failPayment(hold.id, userId);
    expect(failed.hold).toMatchObject({ status: 'held', expiresAt: hold.expiresAt });
    // A payment that answered at once confirms straight from held.
    const confirmed = (await holds.confirm(hold.id, userId)).hold;
    expect(confirmed).toMatchObject({ status: 'confirmed', seq: 2 });
    expect((await holds.confirm(hold.id, userId)).replayed).toBe(true);
    expect((await holds.beginConfirm(hold.id, userId)).alreadyConfirmed).toBe(true);
    expect((await checkInvariants(redis, eventId))[categoryId]).toMatchObject({
      held: 0,
      confirmed: 2,
      available: 8,
    });

    const cancelled = await holds.giveBack(hold.id, userId);
    expect(cancelled).toMatchObject({ status: 'cancelled', seq: 3 });
    expect((await holds.giveBack(hold.id, userId)).status).toBe('cancelled');
    expect((await checkInvariants(redis, eventId))[categoryId]).toMatchObject({
      held: 0,
      confirmed: 0,
      available: 10,
    });

    const second = (await holds.reserve(reserveArgs(eventId, categoryId, userId, 3))).hold;
    expect((await holds.giveBack(second.id, userId)).status).toBe('released');
    expect((await holds.giveBack(second.id, userId)).status).toBe('released');
    expect((await checkInvariants(redis, eventId))[categoryId]).toMatchObject({ available: 10 });
    // Ended holds stay readable for at least 24 h.
    expect(await redis.pttl(eventKeys(eventId, REDIS_KEY_PREFIX).hold(second.id))).toBeGreaterThan(
      24 * 3600_000,
    );
    expect((await holds.find(second.id))?.status).toBe('released');

    const types = (await outboxTypes(eventId)).map((e) => `${e.type}#${e.seq}`);
    expect(types).toEqual([
      'reservation.held#1',
      'reservation.confirmed#2',
      'reservation.cancelled#3',
      'reservation.held#1',
      'reservation.released#2',
    ]);
  });
});

describe('expiry', () => {
  function startReapers(n: number) {
    return Array.from({ length: n }, (_, i) => {
      const registry = createRegistry(`reaper-${i}`);
      const reaper = createReaper(onAny(i), logger, registry, { intervalMs: 20, batchSize: 50 });
      reaper.start();
      return { reaper, registry };
    });
  }

  const expiredBy = async (reapers: ReturnType<typeof startReapers>) => {
    let total = 0;
    for (const { registry } of reapers) {
      const metric = await registry.getSingleMetric('reaper_expired_total')?.get();
      total += metric?.values[0]?.value ?? 0;
    }
    return total;
  };

  it.each([2, 4])(
    '%i reapers at once expire every due hold exactly once, within 1 s',
    async (n) => {
      const { eventId, categoryId } = await newDrop({ capacity: 1000, holdTtl: 1 });
      const { granted } = await settle(
        Array.from({ length: 400 }, (_, i) =>
          onAny(i).reserve(reserveArgs(eventId, categoryId, randomUUID(), 1 + (i % 2))),
        ),
      );
      expect(granted).toHaveLength(400);
      const reapers = startReapers(n);
      try {
        await eventually(
          async () => (await redis.zcard(eventKeys(eventId, REDIS_KEY_PREFIX).expiry)) === 0,
          {
            timeoutMs: 10_000,
            what: 'every hold expired',
          },
        );
      } finally {
        await Promise.all(reapers.map(({ reaper }) => reaper.stop()));
      }
      const expired = (await outboxTypes(eventId)).filter((e) => e.type === 'reservation.expired');
      expect(expired).toHaveLength(400);
      expect(new Set(expired.map((e) => e.reservationId)).size).toBe(400);
      expect(await expiredBy(reapers)).toBe(400);
      // Stock back within 1 s after expiresAt.
      for (const e of expired) expect(Number(e.at) - Number(e.expiresAt)).toBeLessThan(1000);
      expect((await checkInvariants(redis, eventId))[categoryId]).toEqual({
        capacity: 1000,
        held: 0,
        confirmed: 0,
        available: 1000,
      });
    },
  );

  it('confirm racing expiry at the boundary: each hold ends exactly one way', async () => {
    const { eventId, categoryId } = await newDrop({ capacity: 1000, holdTtl: 1 });
    const { granted } = await settle(
      Array.from({ length: 300 }, (_, i) =>
        onAny(i).reserve(reserveArgs(eventId, categoryId, randomUUID(), 1)),
      ),
    );
    const reapers = startReapers(2);
    const now = await holds.nowMs();
    // Each confirm lands somewhere in ±150 ms around its hold's expiry, as reapers run.
    const outcomes = await Promise.all(
      granted.map(async (hold, i) => {
        const at = hold.expiresAt - 150 + (i % 300);
        await new Promise((r) => setTimeout(r, Math.max(0, at - now)));
        try {
          await onAny(i).beginConfirm(hold.id, hold.userId);
          await onAny(i).confirm(hold.id, hold.userId);
          return 'confirmed';
        } catch (err) {
          if (err instanceof HoldRefusal && err.code === HoldError.HoldExpired) return 'refused';
          throw err;
        }
      }),
    );
    try {
      await eventually(
        async () => (await redis.zcard(eventKeys(eventId, REDIS_KEY_PREFIX).expiry)) === 0,
        {
          timeoutMs: 10_000,
          what: 'no live hold left',
        },
      );
    } finally {
      await Promise.all(reapers.map(({ reaper }) => reaper.stop()));
    }
    const confirmed = outcomes.filter((o) => o === 'confirmed').length;
    // The race really happened both ways.
    expect(confirmed).toBeGreaterThan(0);
    expect(confirmed).toBeLessThan(300);

    const events = await outboxTypes(eventId);
    for (const hold of granted) {
      const ends = events.filter(
        (e) => e.reservationId === hold.id && e.type !== 'reservation.held',
      );
      expect(ends).toHaveLength(1);
    }
    const byType = (t: string) => events.filter((e) => e.type === t).length;
    expect(byType('reservation.confirmed')).toBe(confirmed);
    expect(byType('reservation.expired')).toBe(300 - confirmed);
    expect((await checkInvariants(redis, eventId))[categoryId]).toEqual({
      capacity: 1000,
      held: 0,
      confirmed,
      available: 1000 - confirmed,
    });
  });

  it('a hold whose payment has begun does not expire under it', async () => {
    const { eventId, categoryId } = await newDrop({ capacity: 10, holdTtl: 1 });
    const userId = randomUUID();
    const { hold } = await holds.reserve(reserveArgs(eventId, categoryId, userId, 1));
    await holds.beginConfirm(hold.id, userId);
    const reapers = startReapers(1);
    try {
      // Past the hold's own expiry, with a reaper running: still confirming.
      await eventually(async () => (await holds.nowMs()) > hold.expiresAt + 300, {
        timeoutMs: 5000,
      });
      await reapers[0]?.reaper.tick();
      expect((await holds.find(hold.id))?.status).toBe('confirming');
      expect((await holds.confirm(hold.id, userId)).hold.status).toBe('confirmed');
    } finally {
      await Promise.all(reapers.map(({ reaper }) => reaper.stop()));
    }
    await checkInvariants(redis, eventId);
  });
});

describe('availability', () => {
  it('reads the sale state and every category in one script, sorted by name', async () => {
    const { eventId, categoryId } = await newDrop({ capacity: 50, perUserLimit: 6 });
    const balcony = randomUUID();
    await holds.setCategory(eventId, {
      id: balcony,
      name: 'Balcony',
      capacity: 8,
      perUserLimit: 2,
    });
    await holds.reserve(reserveArgs(eventId, categoryId, randomUUID(), 3));
    await holds.reserve(reserveArgs(eventId, balcony, randomUUID(), 2));

    expect(await holds.availability(eventId)).toEqual({
      state: { status: 'on_sale', holdTtlSeconds: 300, perUserLimit: 6 },
      categories: [
        {
          id: balcony,
          name: 'Balcony',
          capacity: 8,
          held: 2,
          confirmed: 0,
          available: 6,
          perUserLimit: 2,
        },
        {
          id: categoryId,
          name: 'GA',
          capacity: 50,
          held: 3,
          confirmed: 0,
          available: 47,
          perUserLimit: 0,
        },
      ],
    });
    expect(await holds.availability(randomUUID())).toBeNull();
  });
});
