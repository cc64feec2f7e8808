// Reserves over real HTTP sockets (the production adapter, api/http-server.ts): 1,000 at
// once on 200 seats hold exactly 200, and every answer carries its headers.
import { describe, expect, it } from 'vitest';
import { admin, ctx, redis, useTestApp } from '../helpers/app.js';
import { bearer, signedInUser } from '../helpers/auth.js';
import { createDrop, type Json } from '../helpers/drop.js';
import { checkInvariants } from '../helpers/invariants.js';
import { available } from '../helpers/reservations.js';

useTestApp();

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
