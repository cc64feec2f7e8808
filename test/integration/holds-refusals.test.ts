// Every refusal of the hold scripts against a real Redis, and garbage arguments: each
// answers its code and leaves the event's keys exactly as they were.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { HoldError } from '../../core/reservations/hold.js';
import { eventKeys } from '../../core/reservations/keys.js';
import { defineScripts } from '../../core/reservations/scripts.js';
import { holds, newDrop, redis, reserveArgs, useHolds } from '../helpers/holds.js';
import { checkInvariants, snapshot } from '../helpers/invariants.js';
import { REDIS_KEY_PREFIX } from '../helpers/services.js';

useHolds();

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
