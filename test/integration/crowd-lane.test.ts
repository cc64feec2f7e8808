// The crowd lane (api/crowd-lane.ts) against real Redis and Postgres: availability, a
// waiting fan's poll and a seat map's status answered before the app, exactly as the app
// answers them.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { admin, ctx, useTestApp } from '../helpers/app.js';
import { bearer, postJson, signedInUser } from '../helpers/auth.js';
import { poll, queuedDrop } from '../helpers/crowd.js';
import { body, send } from '../helpers/drop.js';
import { eventually } from '../helpers/services.js';

useTestApp();

describe('the crowd lane', () => {
  /** How many requests of `route` the lane answered before the app, from the metrics. */
  async function laneServed(route: string): Promise<number> {
    const line = (await ctx.metrics())
      .split('\n')
      .find((l) => l.startsWith('api_crowd_lane_total{') && l.includes(`route="${route}"`));
    return line ? Number(line.split(' ').pop()) : 0;
  }
  const SAME_HEADERS = [
    'content-type',
    'content-length',
    'etag',
    'cache-control',
    'retry-after',
    'strict-transport-security',
    'x-content-type-options',
    'x-frame-options',
  ];
  /** Status, headers (but the request id and date) and body: what a client can tell. */
  const seen = async (res: Response) => ({
    status: res.status,
    headers: Object.fromEntries(SAME_HEADERS.map((h) => [h, res.headers.get(h)])),
    requestId: /^[\w-]+$/.test(res.headers.get('x-request-id') ?? ''),
    body: await res.text(),
  });
  /** The first answer `request` gets from the lane (the view must be current for it). */
  async function fromLane(route: string, request: () => Promise<Response>) {
    const before = await laneServed(route);
    let answer: Awaited<ReturnType<typeof seen>> | undefined;
    await eventually(
      async () => {
        answer = await seen(await request());
        return (await laneServed(route)) > before;
      },
      { timeoutMs: 3000, intervalMs: 20, what: `the lane answering ${route}` },
    );
    return answer as Awaited<ReturnType<typeof seen>>;
  }

  it('answers availability and a waiting fan’s poll exactly as the app does', async () => {
    const { eventId } = await queuedDrop(100, 'on_sale');
    const fan = await signedInUser(ctx.app);
    const joined = await body(
      await send(ctx.app, 'POST', `/v1/events/${eventId}/queue`, fan.accessToken),
    );
    const ticket = joined.ticket as string;

    // Availability: a token the api has never seen goes to the app (which verifies it).
    const availability = `/v1/events/${eventId}/availability`;
    const route = '/v1/events/:eventId/availability';
    const lane = await fromLane(route, () => send(ctx.app, 'GET', availability));
    const app = await seen(await send(ctx.app, 'GET', availability, 'not.a.token'));
    expect(lane).toEqual(app);
    expect(lane.status).toBe(200);
    const etag = lane.headers.etag as string;
    const revalidate = () =>
      send(ctx.app, 'GET', availability, undefined, undefined, { 'If-None-Match': etag });
    const lane304 = await fromLane(route, revalidate);
    expect(lane304).toEqual(
      await seen(
        await send(ctx.app, 'GET', availability, 'not.a.token', undefined, {
          'If-None-Match': etag,
        }),
      ),
    );
    expect(lane304.status).toBe(304);

    // A poll: without its ticket it goes to the app (and Redis).
    const me = '/v1/events/:eventId/queue/me';
    const polled = await fromLane(me, () => poll(eventId, fan.accessToken, ticket));
    expect(polled).toEqual(await seen(await poll(eventId, fan.accessToken)));
    expect(JSON.parse(polled.body)).toMatchObject({ status: 'waiting', position: 1, ticket });
    const unchanged = await fromLane(me, () =>
      send(ctx.app, 'GET', `/v1/events/${eventId}/queue/me`, fan.accessToken, undefined, {
        'Queue-Ticket': ticket,
        'If-None-Match': polled.headers.etag as string,
      }),
    );
    expect(unchanged.status).toBe(304);
    expect(unchanged.headers.etag).toBe(polled.headers.etag);

    // Not the lane's: another's ticket (403 from the app), no token (401).
    const rival = await signedInUser(ctx.app);
    expect((await poll(eventId, rival.accessToken, ticket)).status).toBe(403);
    expect(
      (
        await send(ctx.app, 'GET', `/v1/events/${eventId}/queue/me`, undefined, undefined, {
          'Queue-Ticket': ticket,
        })
      ).status,
    ).toBe(401);
  });

  it('answers a seat map’s status, 200 and 304, exactly as the app does; a draft’s never', async () => {
    const seatedEvent = async (status: string) => {
      const event = await body(
        await postJson(
          ctx.app,
          '/v1/admin/events',
          {
            name: `Lane seats ${randomUUID().slice(0, 8)}`,
            venue: 'Theatre',
            startsAt: new Date(Date.now() + 30 * 86_400_000).toISOString(),
            status,
          },
          bearer(admin),
        ),
      );
      const category = await body(
        await postJson(
          ctx.app,
          `/v1/admin/events/${event.id}/categories`,
          {
            name: 'Stalls',
            priceCents: 4000,
            seatMap: { sections: [{ name: 'S', rows: [{ name: 'A', seats: 12 }] }] },
          },
          bearer(admin),
        ),
      );
      return `/v1/events/${event.id}/categories/${category.id}/seats`;
    };
    const route = '/v1/events/:eventId/categories/:categoryId/seats';
    const seats = await seatedEvent('on_sale');
    const lane = await fromLane(route, () => send(ctx.app, 'GET', seats));
    expect(lane).toEqual(await seen(await send(ctx.app, 'GET', seats, 'not.a.token')));
    expect(lane.status).toBe(200);
    const etag = lane.headers.etag as string;
    const lane304 = await fromLane(route, () =>
      send(ctx.app, 'GET', seats, undefined, undefined, { 'If-None-Match': etag }),
    );
    expect(lane304).toEqual(
      await seen(
        await send(ctx.app, 'GET', seats, 'not.a.token', undefined, { 'If-None-Match': etag }),
      ),
    );
    expect(lane304.status).toBe(304);

    // A draft's seats are an admin's to see: the app answers, the lane never does.
    const draft = await seatedEvent('draft');
    expect((await send(ctx.app, 'GET', draft, admin)).status).toBe(200);
    const before = await laneServed(route);
    for (let i = 0; i < 5; i++) expect((await send(ctx.app, 'GET', draft)).status).toBe(404);
    expect(await laneServed(route)).toBe(before);
  });
});
