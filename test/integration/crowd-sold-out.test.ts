// Sold-out reserves at a drop (SPEC §7, issue 24) against real Redis and Postgres: refused
// without Redis, reopened within the staleness bound, and never accepted beyond the stock
// when it returns under a 1,000-way race.
import { describe, expect, it } from 'vitest';
import { MAX_AGE_MS } from '../../api/event-views.js';
import { admin, ctx, useTestApp } from '../helpers/app.js';
import { signedInUser } from '../helpers/auth.js';
import { scriptCalls } from '../helpers/crowd.js';
import { body, createDrop, send } from '../helpers/drop.js';
import { checkInvariants } from '../helpers/invariants.js';
import { eventually } from '../helpers/services.js';

useTestApp();

describe('sold out from memory', () => {
  it('refuses a sold-out reserve without Redis, and reopens within the bound after an expiry', async () => {
    const { eventId, categoryId } = await createDrop(ctx.app, admin, {
      capacity: 2,
      holdTtlSeconds: 5,
    });
    const fans = await Promise.all(Array.from({ length: 3 }, () => signedInUser(ctx.app)));
    const reserve = (token: string) =>
      send(ctx.app, 'POST', '/v1/reservations', token, { eventId, categoryId, quantity: 1 });
    const [first, second, crowd] = fans as [(typeof fans)[0], (typeof fans)[0], (typeof fans)[0]];
    expect((await reserve(first.accessToken)).status).toBe(201);
    expect((await reserve(second.accessToken)).status).toBe(201);
    // Once the view is read again after the last sale, refusals cost Redis nothing.
    await eventually(async () => (await reserve(crowd.accessToken)).status === 409, {
      timeoutMs: 1000,
    });
    await new Promise((r) => setTimeout(r, 150));
    const calls = await scriptCalls('reserve');
    for (let i = 0; i < 50; i++) {
      const res = await reserve(crowd.accessToken);
      expect(res.status).toBe(409);
      expect(await body(res)).toMatchObject({ code: 'sold_out', available: 0 });
    }
    expect(await scriptCalls('reserve')).toBeLessThanOrEqual(calls + 1);

    // The holds expire (5 s): the reaper's script returns the stock; a reserve must be
    // accepted again within the bound of that moment.
    const holds = ctx.services.holds;
    await eventually(async () => (await holds.due(eventId, Date.now(), 10)).length === 2, {
      timeoutMs: 8000,
      intervalMs: 20,
    });
    const due = await holds.due(eventId, Date.now(), 10);
    for (const holdId of due) await holds.expire(eventId, holdId);
    const returnedAt = Date.now();
    let acceptedAt = 0;
    while (Date.now() - returnedAt < 2000) {
      if ((await reserve(crowd.accessToken)).status === 201) {
        acceptedAt = Date.now();
        break;
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(acceptedAt, 'a reserve accepted after the stock returned').toBeGreaterThan(0);
    expect(acceptedAt - returnedAt).toBeLessThanOrEqual(MAX_AGE_MS);
    await checkInvariants(ctx.redis, eventId);
  });

  it('never accepts a reserve beyond the stock when it returns under a 1,000-way race', async () => {
    const seats = 20;
    const { eventId, categoryId } = await createDrop(ctx.app, admin, {
      capacity: seats,
      perUserLimit: 10,
    });
    const holders = await Promise.all(Array.from({ length: 2 }, () => signedInUser(ctx.app)));
    const held: string[] = [];
    for (const h of holders)
      for (let i = 0; i < 10; i++) {
        const res = await send(ctx.app, 'POST', '/v1/reservations', h.accessToken, {
          eventId,
          categoryId,
          quantity: 1,
        });
        expect(res.status).toBe(201);
        held.push((await body(res)).id as string);
      }
    const crowd = await Promise.all(Array.from({ length: 100 }, () => signedInUser(ctx.app)));
    // Sold out, and known to be.
    await eventually(
      async () =>
        (
          await send(ctx.app, 'POST', '/v1/reservations', crowd[0]?.accessToken, {
            eventId,
            categoryId,
            quantity: 1,
          })
        ).status === 409,
      { timeoutMs: 1000 },
    );
    // Ten holds are given back while 1,000 reserves race for them (10 per fan).
    const giveBack = held
      .slice(0, 10)
      .map((id, i) =>
        send(
          ctx.app,
          'DELETE',
          `/v1/reservations/${id}`,
          (holders[Math.floor(i / 10)] as (typeof holders)[0]).accessToken,
        ),
      );
    const race = Array.from({ length: 1000 }, (_, i) =>
      send(ctx.app, 'POST', '/v1/reservations', crowd[i % 100]?.accessToken, {
        eventId,
        categoryId,
        quantity: 1,
      }),
    );
    const back = await Promise.all(giveBack);
    for (const res of back) expect(res.status).toBe(200);
    const answers = await Promise.all(race);
    const statuses = answers.map((r) => r.status);
    expect(statuses.filter((s) => s !== 201 && s !== 409)).toEqual([]);
    expect(statuses.filter((s) => s === 201).length).toBeLessThanOrEqual(10);
    // Whatever the race left is sold to the next ones: exactly the stock, never more.
    let won = statuses.filter((s) => s === 201).length;
    let next = 0;
    await eventually(
      async () => {
        const res = await send(
          ctx.app,
          'POST',
          '/v1/reservations',
          crowd[next++ % 100]?.accessToken,
          {
            eventId,
            categoryId,
            quantity: 1,
          },
        );
        if (res.status === 201) won += 1;
        return ((await ctx.services.holds.stock(eventId))[0]?.available ?? -1) === 0;
      },
      { timeoutMs: 3000, what: 'the returned stock sold' },
    );
    expect(won).toBe(10);
    const stock = (await ctx.services.holds.stock(eventId))[0];
    expect(stock).toMatchObject({ capacity: seats, held: seats, available: 0 });
    await checkInvariants(ctx.redis, eventId);
  });
});
