// Every refusal of a reserve through the app (real Redis and Postgres), each with its code
// of SPEC §2 and changing nothing: limits, stock, bodies judged by their schema, replayed
// and reused Idempotency-Keys.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { admin, ctx, redis, useTestApp } from '../helpers/app.js';
import { bearer, signedInUser } from '../helpers/auth.js';
import { body, createDrop, send } from '../helpers/drop.js';
import { checkInvariants } from '../helpers/invariants.js';
import { available, expectProblem, reserve } from '../helpers/reservations.js';

useTestApp();

describe('reservations', () => {
  it('answers every reserve refusal with its code, changing nothing', async () => {
    const { eventId, categoryId } = await createDrop(ctx.app, admin, {
      capacity: 3,
      perUserLimit: 2,
    });
    const user = await signedInUser(ctx.app);
    const t = user.accessToken;
    expect((await reserve(t, { eventId, categoryId, quantity: 2 })).status).toBe(201);
    const lim = await expectProblem(
      await reserve(t, { eventId, categoryId, quantity: 1 }),
      409,
      'limit_exceeded',
    );
    expect(lim).toMatchObject({ limit: 2, current: 2 });
    const other = await signedInUser(ctx.app);
    const sold = await expectProblem(
      await reserve(other.accessToken, { eventId, categoryId, quantity: 2 }),
      409,
      'sold_out',
    );
    expect(sold.available).toBe(1);
    await expectProblem(
      await reserve(t, { eventId: randomUUID(), categoryId, quantity: 1 }),
      404,
      'not_found',
    );
    await expectProblem(
      await reserve(t, { eventId, categoryId: randomUUID(), quantity: 1 }),
      404,
      'not_found',
    );
    for (const bad of [
      { eventId, categoryId, quantity: 0 },
      { eventId, categoryId, quantity: 11 },
      { eventId: 'nope', categoryId, quantity: 1 },
      { eventId, categoryId },
    ]) {
      await expectProblem(await reserve(t, bad), 400, 'validation_failed');
    }
    await expectProblem(
      await send(ctx.app, 'POST', '/v1/reservations', undefined, {
        eventId,
        categoryId,
        quantity: 1,
      }),
      401,
      'unauthorized',
    );
    await expectProblem(
      await send(ctx.app, 'GET', `/v1/reservations/${randomUUID()}`, t),
      404,
      'not_found',
    );
    expect(await available(eventId)).toBe(1);
    await checkInvariants(redis, eventId);
  });

  it('judges a reserve body as its schema does (read in the handler, not by a validator layer)', async () => {
    const { eventId, categoryId } = await createDrop(ctx.app, admin, { capacity: 5 });
    const t = (await signedInUser(ctx.app)).accessToken;
    const raw = (text: string | undefined, contentType?: string) =>
      ctx.app.request('/v1/reservations', {
        method: 'POST',
        headers: { ...bearer(t), ...(contentType ? { 'Content-Type': contentType } : {}) },
        body: text,
      });
    const good = JSON.stringify({ eventId, categoryId, quantity: 1 });
    expect((await raw(good, 'text/plain')).status).toBe(415);
    expect((await raw(good)).status).toBe(415);
    await expectProblem(await raw('{"eventId": ', 'application/json'), 400, 'validation_failed');
    const empty = await expectProblem(await raw(undefined), 400, 'validation_failed');
    expect((empty.errors as { field: string }[]).map((e) => e.field)).toEqual([
      'eventId',
      'categoryId',
      'quantity',
    ]);
    for (const bad of [
      'null',
      '[]',
      '"x"',
      JSON.stringify({ eventId, categoryId, quantity: 1.5 }),
      JSON.stringify({ eventId, categoryId, quantity: '1' }),
      JSON.stringify({ eventId: eventId.replaceAll('-', ''), categoryId, quantity: 1 }),
      JSON.stringify({ eventId, categoryId: 7, quantity: 1 }),
    ]) {
      await expectProblem(await raw(bad, 'application/json'), 400, 'validation_failed');
    }
    expect(await available(eventId)).toBe(5);
    // A charset parameter and unknown fields are accepted as before.
    const held = await raw(
      JSON.stringify({ eventId, categoryId, quantity: 2, note: 'x' }),
      'application/json; charset=utf-8',
    );
    expect(held.status).toBe(201);
    expect(await body(held)).not.toHaveProperty('note');
    expect(await available(eventId)).toBe(3);
    await checkInvariants(redis, eventId);
  });

  it('replays an Idempotency-Key with the original response; another body is 422', async () => {
    const { eventId, categoryId } = await createDrop(ctx.app, admin, { capacity: 10 });
    const user = await signedInUser(ctx.app);
    const key = { 'Idempotency-Key': `order-${randomUUID()}` };
    const first = await reserve(user.accessToken, { eventId, categoryId, quantity: 2 }, key);
    const again = await reserve(user.accessToken, { eventId, categoryId, quantity: 2 }, key);
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await body(again)).toEqual(await body(first));
    expect(await available(eventId)).toBe(8);
    await expectProblem(
      await reserve(user.accessToken, { eventId, categoryId, quantity: 3 }, key),
      422,
      'idempotency_key_reused',
    );
    await expectProblem(
      await reserve(
        user.accessToken,
        { eventId, categoryId, quantity: 1 },
        { 'Idempotency-Key': 'bad key with spaces' },
      ),
      400,
      'validation_failed',
    );
  });
});
