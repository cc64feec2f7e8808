// The reservation API end to end through the app (real Redis and Postgres): users hold,
// confirm, release and cancel, with stock moving at once; availability with its ETag.
import { randomUUID } from 'node:crypto';
import { Cluster } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { admin, ctx, redis, useTestApp } from '../helpers/app.js';
import { signedInUser } from '../helpers/auth.js';
import { body, createDrop, send } from '../helpers/drop.js';
import { checkInvariants } from '../helpers/invariants.js';
import { available, expectProblem, reserve } from '../helpers/reservations.js';
import { eventually } from '../helpers/services.js';

useTestApp();

describe('reservations', () => {
  it('hold → confirm → cancel, with stock moving at once and only the owner seeing it', async () => {
    const { eventId, categoryId } = await createDrop(ctx.app, admin, { capacity: 10 });
    const user = await signedInUser(ctx.app);
    const other = await signedInUser(ctx.app);

    const held = await reserve(user.accessToken, { eventId, categoryId, quantity: 2 });
    expect(held.status).toBe(201);
    const r = await body(held);
    expect(r).toEqual({
      id: expect.any(String),
      eventId,
      categoryId,
      userId: user.id,
      quantity: 2,
      status: 'held',
      expiresAt: expect.any(String),
      createdAt: expect.any(String),
    });
    expect(Date.parse(r.expiresAt as string) - Date.parse(r.createdAt as string)).toBe(300_000);
    expect(held.headers.get('location')).toBe(`/v1/reservations/${r.id}`);
    expect(await available(eventId)).toBe(8);

    const path = `/v1/reservations/${r.id}`;
    expect(await body(await send(ctx.app, 'GET', path, user.accessToken))).toEqual(r);
    // Someone else's reservation does not exist for them, whatever they try.
    await expectProblem(await send(ctx.app, 'GET', path, other.accessToken), 404, 'not_found');
    await expectProblem(
      await send(ctx.app, 'POST', `${path}/confirm`, other.accessToken, {}),
      404,
      'not_found',
    );
    await expectProblem(await send(ctx.app, 'DELETE', path, other.accessToken), 404, 'not_found');
    expect((await send(ctx.app, 'GET', path, admin)).status).toBe(200);

    const confirmed = await send(ctx.app, 'POST', `${path}/confirm`, user.accessToken, {
      paymentToken: 'tok_ok',
    });
    expect(confirmed.status).toBe(200);
    const c = await body(confirmed);
    expect(c).toMatchObject({ id: r.id, status: 'confirmed', confirmedAt: expect.any(String) });
    // Confirming twice returns the same confirmed reservation.
    expect(await body(await send(ctx.app, 'POST', `${path}/confirm`, user.accessToken))).toEqual(c);
    expect(await available(eventId)).toBe(8);

    const cancelled = await send(ctx.app, 'DELETE', path, user.accessToken);
    expect(await body(cancelled)).toMatchObject({
      id: r.id,
      status: 'cancelled',
      endedAt: expect.any(String),
    });
    expect(await available(eventId)).toBe(10);
    await checkInvariants(redis, eventId);
  });

  it('a confirm cut off mid-payment completes on retry, and the sale is in Postgres before the 200', async () => {
    const { eventId, categoryId } = await createDrop(ctx.app, admin, { capacity: 10 });
    const user = await signedInUser(ctx.app);
    const r = await body(await reserve(user.accessToken, { eventId, categoryId, quantity: 2 }));
    const path = `/v1/reservations/${r.id}/confirm`;
    const key = { 'Idempotency-Key': `cut-${randomUUID()}` };
    // What a confirm leaves behind when its process dies mid-payment: the hold `confirming`.
    await ctx.services.holds.beginConfirm(r.id as string, user.id, {
      key: key['Idempotency-Key'],
      fingerprint: `confirm|${r.id}|`,
    });
    const retried = await send(ctx.app, 'POST', path, user.accessToken, {}, key);
    expect(retried.status).toBe(200);
    expect(await body(retried)).toMatchObject({ id: r.id, status: 'confirmed' });
    // Durable before it was answered: the row is there without any worker running.
    const [row] = await ctx.sql`select status, seq from reservations where id = ${r.id as string}`;
    expect(row).toEqual({ status: 'confirmed', seq: 2 });
    // The same key again: the same sale, nothing charged or sold twice.
    expect(await body(await send(ctx.app, 'POST', path, user.accessToken, {}, key))).toMatchObject({
      status: 'confirmed',
    });
    // Without a key, a stuck confirm resumes too.
    const s = await body(await reserve(user.accessToken, { eventId, categoryId, quantity: 1 }));
    await ctx.services.holds.beginConfirm(s.id as string, user.id);
    const plain = await send(ctx.app, 'POST', `/v1/reservations/${s.id}/confirm`, user.accessToken);
    expect(await body(plain)).toMatchObject({ status: 'confirmed' });
    expect(await available(eventId)).toBe(7);
    expect((await checkInvariants(redis, eventId))[categoryId]).toMatchObject({
      held: 0,
      confirmed: 3,
    });
  });

  it('release returns stock at once; a released hold cannot be confirmed', async () => {
    const { eventId, categoryId } = await createDrop(ctx.app, admin, { capacity: 10 });
    const user = await signedInUser(ctx.app);
    const r = await body(await reserve(user.accessToken, { eventId, categoryId, quantity: 4 }));
    const path = `/v1/reservations/${r.id}`;
    expect((await body(await send(ctx.app, 'DELETE', path, user.accessToken))).status).toBe(
      'released',
    );
    expect(await available(eventId)).toBe(10);
    expect((await body(await send(ctx.app, 'DELETE', path, user.accessToken))).status).toBe(
      'released',
    );
    await expectProblem(
      await send(ctx.app, 'POST', `${path}/confirm`, user.accessToken),
      409,
      'invalid_state',
    );
  });

  it('a failed payment answers 402 and leaves the hold held', async () => {
    const { eventId, categoryId } = await createDrop(ctx.app, admin, { capacity: 10 });
    const user = await signedInUser(ctx.app);
    const r = await body(await reserve(user.accessToken, { eventId, categoryId, quantity: 1 }));
    const path = `/v1/reservations/${r.id}`;
    await expectProblem(
      await send(ctx.app, 'POST', `${path}/confirm`, user.accessToken, {
        paymentToken: 'tok_fail',
      }),
      402,
      'payment_failed',
    );
    expect(await body(await send(ctx.app, 'GET', path, user.accessToken))).toMatchObject({
      status: 'held',
      expiresAt: r.expiresAt,
    });
    expect(await available(eventId)).toBe(9);
    expect(
      (await body(await send(ctx.app, 'POST', `${path}/confirm`, user.accessToken, {}))).status,
    ).toBe('confirmed');
  });

  it('an expired hold answers 410 hold_expired', async () => {
    const { eventId, categoryId } = await createDrop(ctx.app, admin, { capacity: 10 });
    // One-second holds, set straight in Redis (the admin API's minimum is 5 s).
    await ctx.services.holds.setEventState(eventId, {
      status: 'on_sale',
      holdTtlSeconds: 1,
      perUserLimit: 10,
    });
    const user = await signedInUser(ctx.app);
    const r = await body(await reserve(user.accessToken, { eventId, categoryId, quantity: 1 }));
    await eventually(
      async () => (await ctx.services.holds.nowMs()) > Date.parse(r.expiresAt as string),
      {
        timeoutMs: 5000,
        what: 'the hold is past its expiry',
      },
    );
    const path = `/v1/reservations/${r.id}`;
    await expectProblem(
      await send(ctx.app, 'POST', `${path}/confirm`, user.accessToken),
      410,
      'hold_expired',
    );
    // Releasing it expires it (no reaper here): stock back, and it says so.
    await expectProblem(await send(ctx.app, 'DELETE', path, user.accessToken), 410, 'hold_expired');
    expect((await body(await send(ctx.app, 'GET', path, user.accessToken))).status).toBe('expired');
    expect(await available(eventId)).toBe(10);
  });

  it('answers concurrent availability polls from one shared Redis read', async () => {
    const { eventId } = await createDrop(ctx.app, admin, { capacity: 7 });
    const reads = async () => {
      const metric = await ctx.registry.getSingleMetric('redis_script_duration_seconds')?.get();
      return (
        metric?.values.find(
          (v) =>
            (v as { metricName?: string }).metricName?.endsWith('_count') &&
            v.labels.script === 'availability',
        )?.value ?? 0
      );
    };
    const before = await reads();
    // Redis holds every command for a moment, so the 50 polls arrive while the first
    // read is still in flight, however the sockets spread them (on a cluster: every node,
    // the event's among them).
    const nodes = redis instanceof Cluster ? redis.nodes('all') : [redis];
    await Promise.all(nodes.map((node) => node.call('CLIENT', 'PAUSE', '300', 'ALL')));
    const answers = await Promise.all(
      Array.from({ length: 50 }, () => send(ctx.app, 'GET', `/v1/events/${eventId}/availability`)),
    );
    const bodies = await Promise.all(answers.map(body));
    expect(new Set(bodies.map((b) => JSON.stringify(b))).size).toBe(1);
    expect(bodies[0]?.categories).toEqual([expect.objectContaining({ available: 7 })]);
    expect(new Set(answers.map((r) => r.headers.get('etag'))).size).toBe(1);
    // 50 requests in flight together: far fewer reads than requests.
    expect((await reads()) - before).toBeLessThanOrEqual(5);
  });

  it('serves availability with an ETag, and 304 while nothing changed', async () => {
    const { eventId, categoryId } = await createDrop(ctx.app, admin, { capacity: 10 });
    const path = `/v1/events/${eventId}/availability`;
    const first = await send(ctx.app, 'GET', path);
    const etag = first.headers.get('etag') as string;
    expect(etag).toMatch(/^"[\w-]+"$/);
    const same = await send(ctx.app, 'GET', path, undefined, undefined, { 'If-None-Match': etag });
    expect(same.status).toBe(304);
    expect(await same.text()).toBe('');
    const user = await signedInUser(ctx.app);
    await reserve(user.accessToken, { eventId, categoryId, quantity: 1 });
    const changed = await send(ctx.app, 'GET', path, undefined, undefined, {
      'If-None-Match': etag,
    });
    expect(changed.status).toBe(200);
    expect(changed.headers.get('etag')).not.toBe(etag);
  });
});
