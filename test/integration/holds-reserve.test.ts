// The reserve script against a real Redis, under real concurrency: thousands of parallel
// script calls over several connections, replayed idempotency keys, the per-user limits;
// and the availability read. The SPEC §3 invariants are checked after every concurrency test.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { HoldError } from '../../core/reservations/hold.js';
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

useHolds();

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
