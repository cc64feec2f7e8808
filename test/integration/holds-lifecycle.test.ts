// A hold's life against a real Redis: confirm, failed payment, release and cancel moving
// stock once each, and expiry by racing reapers, confirms racing it at the boundary; a
// traced request's changes carry its trace context into the outbox, untraced ones none.
// The SPEC §3 invariants are checked after every test.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { check, HoldError, HoldRefusal } from '../../core/reservations/hold.js';
import { newHoldId } from '../../core/reservations/hold-ids.js';
import { eventKeys } from '../../core/reservations/keys.js';
import { reserveAlone, reserveGroup } from '../../core/reservations/reserve-batch.js';
import { scriptRunnerOf } from '../../core/reservations/scripts.js';
import { createLogger } from '../../platform/logger.js';
import { createRegistry } from '../../platform/metrics.js';
import { createReaper } from '../../reaper/expiry.js';
import {
  holds,
  newDrop,
  onAny,
  outboxTypes,
  redis,
  reserveArgs,
  settle,
  useHolds,
} from '../helpers/holds.js';
import { checkInvariants } from '../helpers/invariants.js';
import { eventually, REDIS_KEY_PREFIX } from '../helpers/services.js';

useHolds();
const logger = createLogger({ LOG_LEVEL: 'silent', NODE_ENV: 'test' }, 'holds-test');

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

  it('a traced change carries its traceparent and request id into the outbox entry, an untraced one neither', async () => {
    // The arguments holds.ts adds for a traced request only (its hold span's context and the
    // request's id), given here straight to the scripts: this process traces nothing.
    const { eventId, categoryId } = await newDrop({ capacity: 20 });
    const k = eventKeys(eventId, REDIS_KEY_PREFIX);
    const run = scriptRunnerOf(redis);
    const ttls = { idempotencyTtlMs: 60_000, defaultHoldTtlSeconds: 300 };
    const userId = randomUUID();
    const traceOf = (n: number) => `00-${String(n).repeat(32)}-${String(n).repeat(16)}-01`;
    const request = (traceparent?: string, requestId?: string) => ({
      holdId: newHoldId(eventId),
      eventId,
      categoryId,
      userId,
      quantity: 1,
      fingerprint: '',
      idemKey: k.idempotency(userId, '-'),
      queuePass: '',
      traceparent,
      requestId,
    });
    const alone = request(traceOf(1), 'req-alone');
    const untraced = request();
    check(await reserveAlone(run, k, alone, ttls));
    check(await reserveAlone(run, k, untraced, ttls));
    // A group: the traced requests' context after all the requests, whatever their place.
    const group = [request(), request(traceOf(2), 'req-grouped'), request(traceOf(3))];
    for (const reply of await reserveGroup(run, k, group, ttls)) check(reply);
    const base = [userId, 60_000, k.base];
    check(
      await run(
        'confirm',
        [k.hold(alone.holdId), k.expiry, k.outbox, k.idempotency(userId, '-')],
        [userId, '', 60_000, k.base, traceOf(4), 'req-confirm'],
      ),
    );
    const giveBackKeys = (holdId: string) => [k.hold(holdId), k.user(userId), k.expiry, k.outbox];
    // The sale cancelled by one traced request, a hold released by another, one untraced.
    check(await run('giveBack', giveBackKeys(alone.holdId), [...base, traceOf(5), 'req-cancel']));
    const [first, second] = group;
    check(
      await run('giveBack', giveBackKeys(first?.holdId ?? ''), [
        ...base,
        traceOf(6),
        'req-release',
      ]),
    );
    check(await run('giveBack', giveBackKeys(second?.holdId ?? ''), base));

    const entries = (await outboxTypes(eventId)).map((e) => [
      e.reservationId,
      e.type,
      e.traceparent,
      e.requestId,
    ]);
    expect(entries).toEqual([
      [alone.holdId, 'reservation.held', traceOf(1), 'req-alone'],
      [untraced.holdId, 'reservation.held', undefined, undefined],
      [group[0]?.holdId, 'reservation.held', undefined, undefined],
      [group[1]?.holdId, 'reservation.held', traceOf(2), 'req-grouped'],
      // A traced request without a known id: its trace alone.
      [group[2]?.holdId, 'reservation.held', traceOf(3), undefined],
      [alone.holdId, 'reservation.confirmed', traceOf(4), 'req-confirm'],
      [alone.holdId, 'reservation.cancelled', traceOf(5), 'req-cancel'],
      [first?.holdId, 'reservation.released', traceOf(6), 'req-release'],
      [second?.holdId, 'reservation.released', undefined, undefined],
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
