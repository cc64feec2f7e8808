// The reservation API end to end through the app (real Redis and Postgres): admin sets up
// a drop, users hold, confirm, release and cancel; every refusal code of SPEC §2.
import { randomUUID } from 'node:crypto';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RedisClient } from '../../platform/redis.js';
import { buildTestApp } from '../helpers/app.js';
import { bearer, signedInUser } from '../helpers/auth.js';
import { adminToken, body, createDrop, type Json, send } from '../helpers/drop.js';
import { checkInvariants } from '../helpers/invariants.js';
import { eventually, functionalConfig, testRedis } from '../helpers/services.js';

let ctx: Awaited<ReturnType<typeof buildTestApp>>;
let admin: string;
let redis: RedisClient;

beforeAll(async () => {
  ctx = await buildTestApp(functionalConfig());
  admin = await adminToken(ctx);
  redis = await testRedis();
});
afterAll(async () => {
  redis?.disconnect();
  await ctx?.close();
});

const reserve = (token: string, b: unknown, headers = {}) =>
  send(ctx.app, 'POST', '/v1/reservations', token, b, headers);
const available = async (eventId: string) => {
  const res = await send(ctx.app, 'GET', `/v1/events/${eventId}/availability`);
  return ((await body(res)).categories as { available: number }[])[0]?.available;
};
async function expectProblem(res: Response, status: number, code: string) {
  const b = await body(res);
  expect({ status: res.status, code: b.code }).toEqual({ status, code });
  return b;
}

describe('running a drop', () => {
  it('admin creates a draft, adds stock, opens the sale; the public sees it once on sale', async () => {
    const { eventId, categoryId } = await createDrop(ctx.app, admin, {
      status: 'draft',
      capacity: 50,
    });
    expect((await send(ctx.app, 'GET', `/v1/events/${eventId}`)).status).toBe(404);
    expect((await send(ctx.app, 'GET', `/v1/events/${eventId}/availability`)).status).toBe(404);
    const asAdmin = await send(ctx.app, 'GET', `/v1/events/${eventId}`, admin);
    expect(await body(asAdmin)).toMatchObject({
      id: eventId,
      status: 'draft',
      holdTtlSeconds: 300,
      perUserLimit: 10,
      ratingAverage: null,
      ratingCount: 0,
      categories: [
        {
          id: categoryId,
          eventId,
          name: 'GA',
          priceCents: 5000,
          currency: 'EUR',
          capacity: 50,
          perUserLimit: null,
        },
      ],
    });

    const user = await signedInUser(ctx.app);
    await expectProblem(
      await reserve(user.accessToken, { eventId, categoryId, quantity: 1 }),
      409,
      'not_on_sale',
    );

    const open = await send(ctx.app, 'PATCH', `/v1/admin/events/${eventId}`, admin, {
      status: 'on_sale',
    });
    expect((await body(open)).status).toBe('on_sale');
    const availability = await body(
      await send(ctx.app, 'GET', `/v1/events/${eventId}/availability`),
    );
    expect(availability).toMatchObject({
      eventId,
      status: 'on_sale',
      categories: [{ id: categoryId, name: 'GA', capacity: 50, available: 50 }],
    });
    expect((await reserve(user.accessToken, { eventId, categoryId, quantity: 1 })).status).toBe(
      201,
    );
    const audit =
      await ctx.sql`select action from audit_log where target_id = ${eventId} order by created_at`;
    expect(audit.map((r) => r.action)).toEqual(['event.created', 'event.status_changed']);
  });

  it('refuses illegal status moves with 409 invalid_transition', async () => {
    const { eventId } = await createDrop(ctx.app, admin, { status: 'draft' });
    await expectProblem(
      await send(ctx.app, 'PATCH', `/v1/admin/events/${eventId}`, admin, { status: 'paused' }),
      409,
      'invalid_transition',
    );
    for (const status of ['on_sale', 'paused', 'on_sale', 'closed']) {
      expect(
        (await send(ctx.app, 'PATCH', `/v1/admin/events/${eventId}`, admin, { status })).status,
      ).toBe(200);
    }
    await expectProblem(
      await send(ctx.app, 'PATCH', `/v1/admin/events/${eventId}`, admin, { status: 'on_sale' }),
      409,
      'invalid_transition',
    );
    await expectProblem(
      await send(ctx.app, 'PATCH', `/v1/admin/events/${eventId}`, admin, { status: 'cancelled' }),
      409,
      'invalid_transition',
    );
  });

  it('a pause reaches Redis at once', async () => {
    const { eventId, categoryId } = await createDrop(ctx.app, admin);
    const user = await signedInUser(ctx.app);
    await send(ctx.app, 'PATCH', `/v1/admin/events/${eventId}`, admin, { status: 'paused' });
    const refused = await expectProblem(
      await reserve(user.accessToken, { eventId, categoryId, quantity: 1 }),
      409,
      'not_on_sale',
    );
    expect(refused.eventStatus).toBe('paused');
  });

  it('keeps admin routes for admins', async () => {
    const user = await signedInUser(ctx.app);
    await expectProblem(
      await send(ctx.app, 'POST', '/v1/admin/events', user.accessToken, {
        name: 'x',
        venue: 'y',
        startsAt: new Date().toISOString(),
      }),
      403,
      'forbidden',
    );
    await expectProblem(
      await send(ctx.app, 'POST', '/v1/admin/events', undefined, {}),
      401,
      'unauthorized',
    );
  });

  it('refuses a capacity below held + sold, and changes nothing', async () => {
    const { eventId, categoryId } = await createDrop(ctx.app, admin, { capacity: 5 });
    const user = await signedInUser(ctx.app);
    await reserve(user.accessToken, { eventId, categoryId, quantity: 3 });
    const path = `/v1/admin/events/${eventId}/categories/${categoryId}`;
    const refused = await expectProblem(
      await send(ctx.app, 'PATCH', path, admin, { capacity: 2 }),
      409,
      'capacity_below_sold',
    );
    expect(refused.heldAndSold).toBe(3);
    const event = await body(await send(ctx.app, 'GET', `/v1/events/${eventId}`));
    expect((event.categories as { capacity: number }[])[0]?.capacity).toBe(5);
    expect(await available(eventId)).toBe(2);

    expect((await body(await send(ctx.app, 'PATCH', path, admin, { capacity: 10 }))).capacity).toBe(
      10,
    );
    expect(await available(eventId)).toBe(7);
    await checkInvariants(redis, eventId);
  });
});

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

describe('over real HTTP, under concurrency', () => {
  it('1,000 concurrent reserve requests from 100 users on 200 seats hold exactly 200', async () => {
    const { eventId, categoryId } = await createDrop(ctx.app, admin, {
      capacity: 200,
      perUserLimit: 10,
    });
    const users = await Promise.all(Array.from({ length: 100 }, () => signedInUser(ctx.app)));
    const base = ctx.baseUrl;
    const responses = await Promise.all(
      Array.from({ length: 1000 }, async (_, i) => {
        const res = await fetch(`${base}/v1/reservations`, {
          method: 'POST',
          headers: {
            'Content-Type': 'application/json',
            ...bearer(users[i % 100]?.accessToken as string),
          },
          body: JSON.stringify({ eventId, categoryId, quantity: 1 + (i % 3) }),
        });
        return { status: res.status, body: (await res.json()) as Json };
      }),
    );
    const held = responses.filter((r) => r.status === 201);
    expect(held.reduce((n, r) => n + (r.body.quantity as number), 0)).toBe(200);
    const codes = new Set(responses.filter((r) => r.status !== 201).map((r) => r.body.code));
    expect([...codes].every((c) => c === 'sold_out' || c === 'limit_exceeded')).toBe(true);
    expect(await available(eventId)).toBe(0);
    expect((await checkInvariants(redis, eventId))[categoryId]).toMatchObject({
      held: 200,
      available: 0,
    });
  });

  // The server adapter (api/http-server.ts) stamps the request id and the security headers
  // on Node's response; the hot routes add theirs as plain objects.
  it('answers carry their headers, the security set and one request id', async () => {
    const { eventId, categoryId } = await createDrop(ctx.app, admin, { capacity: 5 });
    const user = await signedInUser(ctx.app);
    const base = ctx.baseUrl;
    const reserveOver = (headers: Record<string, string>) =>
      fetch(`${base}/v1/reservations`, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          ...bearer(user.accessToken),
          ...headers,
        },
        body: JSON.stringify({ eventId, categoryId, quantity: 1 }),
      });
    const expectStandardHeaders = (res: Response) => {
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN');
      expect(res.headers.get('strict-transport-security')).toContain('max-age=');
      expect(res.headers.get('x-request-id')).toMatch(/^[\w\-=]+$/);
    };
    const held = await reserveOver({
      'Idempotency-Key': 'node-path-1',
      'X-Request-Id': 'trace-7',
    });
    expect(held.status).toBe(201);
    expectStandardHeaders(held);
    expect(held.headers.get('x-request-id')).toBe('trace-7');
    expect(held.headers.get('content-type')).toBe('application/json');
    const hold = (await held.json()) as Json;
    expect(held.headers.get('location')).toBe(`/v1/reservations/${hold.id}`);
    expect(held.headers.get('idempotent-replayed')).toBeNull();

    const replay = await reserveOver({ 'Idempotency-Key': 'node-path-1' });
    expect(replay.status).toBe(201);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(((await replay.json()) as Json).id).toBe(hold.id);

    const refused = await reserveOver({ 'Idempotency-Key': 'bad key' });
    expect(refused.status).toBe(400);
    expectStandardHeaders(refused);
    const problem = (await refused.json()) as Json;
    expect(problem).toMatchObject({ code: 'validation_failed' });
    expect(problem.requestId).toBe(refused.headers.get('x-request-id'));
    expect(problem.errors).toEqual([
      { in: 'header', field: 'idempotency-key', message: expect.any(String) },
    ]);

    const first = await fetch(`${base}/v1/events/${eventId}/availability`);
    expectStandardHeaders(first);
    const etag = first.headers.get('etag') as string;
    expect(etag).toMatch(/^"[\w-]+"$/);
    expect(((await first.json()) as Json).categories).toEqual([
      { id: categoryId, name: 'GA', capacity: 5, available: 4 },
    ]);
    const unchanged = await fetch(`${base}/v1/events/${eventId}/availability`, {
      headers: { 'If-None-Match': etag },
    });
    expect(unchanged.status).toBe(304);
    expect(unchanged.headers.get('etag')).toBe(etag);
    expectStandardHeaders(unchanged);
    // Nothing to render in a 304: the JSON answer's set, not the document's.
    expect(unchanged.headers.get('referrer-policy')).toBeNull();
    await reserveOver({});
    const changed = await fetch(`${base}/v1/events/${eventId}/availability`, {
      headers: { 'If-None-Match': etag },
    });
    expect(changed.status).toBe(200);
    expect(changed.headers.get('etag')).not.toBe(etag);
  });
});
