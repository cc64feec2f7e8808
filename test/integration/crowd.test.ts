// The crowd at a drop (SPEC §7, issue 24) against real Redis and Postgres: queue polls with
// a ticket answered from memory (the same admission order as Redis's, exact positions, no
// per-user read), forged, foreign and expired tickets refused, and sold-out reserves
// refused without Redis, reopened within the staleness bound, and never accepted beyond
// the stock when it returns under a 1,000-way race.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_AGE_MS } from '../../api/event-views.js';
import { createQueue, type QueuePlace } from '../../core/queue/queue.js';
import { claimsOf, placeOfTicket } from '../../core/queue/ticket-places.js';
import { createQueueTickets, queueTicketKey } from '../../core/queue/tickets.js';
import { buildTestApp } from '../helpers/app.js';
import { signedInUser } from '../helpers/auth.js';
import { adminToken, body, createDrop, send } from '../helpers/drop.js';
import { checkInvariants } from '../helpers/invariants.js';
import { eventually, functionalConfig, REDIS_KEY_PREFIX } from '../helpers/services.js';

type TestApp = Awaited<ReturnType<typeof buildTestApp>>;
let a: TestApp;
let admin: string;
const config = functionalConfig();
const tickets = createQueueTickets(queueTicketKey(config));

beforeAll(async () => {
  a = await buildTestApp(config);
  admin = await adminToken(a);
});
afterAll(async () => {
  await a?.close();
});

/** How often the api ran a Lua script so far, from its metrics. */
async function scriptCalls(script: string): Promise<number> {
  const text = await a.metrics();
  const line = text
    .split('\n')
    .find((l) => l.startsWith(`redis_script_duration_seconds_count{script="${script}"}`));
  return line ? Number(line.split(' ').pop()) : 0;
}

async function queuedDrop(admitPerSecond = 100, status: 'draft' | 'on_sale' = 'draft') {
  const event = await send(a.app, 'POST', '/v1/admin/events', admin, {
    name: `Crowd ${randomUUID().slice(0, 8)}`,
    venue: 'Arena',
    startsAt: new Date(Date.now() + 30 * 86_400_000).toISOString(),
    status,
    waitingRoom: { enabled: true, admitPerSecond },
  });
  expect(event.status).toBe(201);
  const eventId = (await body(event)).id as string;
  const category = await send(a.app, 'POST', `/v1/admin/events/${eventId}/categories`, admin, {
    name: 'GA',
    priceCents: 5000,
    capacity: 1000,
  });
  expect(category.status).toBe(201);
  return { eventId, categoryId: (await body(category)).id as string };
}

const poll = (eventId: string, token: string, ticket?: string) =>
  send(
    a.app,
    'GET',
    `/v1/events/${eventId}/queue/me`,
    token,
    undefined,
    ticket === undefined ? {} : { 'Queue-Ticket': ticket },
  );

describe('queue tickets', () => {
  it('answers a poll with a ticket from memory, as Redis would, through the open to the pass', async () => {
    const { eventId, categoryId } = await queuedDrop();
    const fans = await Promise.all(Array.from({ length: 3 }, () => signedInUser(a.app)));
    const joined = [];
    for (const fan of fans) {
      const res = await send(a.app, 'POST', `/v1/events/${eventId}/queue`, fan.accessToken);
      expect(res.status).toBe(201);
      joined.push(await body(res));
    }
    for (const t of joined) expect((t.ticket as string).length).toBeLessThanOrEqual(512);
    const [fan, , last] = fans as [(typeof fans)[0], unknown, (typeof fans)[0]];
    let ticket = joined[0]?.ticket as string;

    // Pre-queue: answered from the ticket (the draw's expected rank), no per-user script.
    const before = await scriptCalls('queueTicket');
    const early = await poll(eventId, fan.accessToken, ticket);
    expect(early.status).toBe(200);
    const earlyBody = await body(early);
    expect(earlyBody).toMatchObject({ eventId, status: 'waiting', ticket });
    expect(earlyBody.position).toBeGreaterThanOrEqual(1);
    expect(earlyBody.position).toBeLessThanOrEqual(3);
    expect(early.headers.get('etag')).toBeTruthy();
    const again = await poll(eventId, fan.accessToken, ticket);
    expect(await body(again)).toEqual(earlyBody);
    expect(await scriptCalls('queueTicket')).toBe(before);

    // The open: the first poll learns the fan's turn from Redis, once.
    expect(
      (await send(a.app, 'PATCH', `/v1/admin/events/${eventId}`, admin, { status: 'on_sale' }))
        .status,
    ).toBe(200);
    const exact = await body(await poll(eventId, fan.accessToken));
    let withTurn: Record<string, unknown> = {};
    // Within the staleness bound, the ticket's answer is Redis's.
    await eventually(
      async () => {
        withTurn = await body(await poll(eventId, fan.accessToken, ticket));
        return JSON.stringify(withTurn) === JSON.stringify(exact);
      },
      { timeoutMs: MAX_AGE_MS + 100, intervalMs: 10, what: 'the turn after the open' },
    );
    expect(withTurn.ticket).not.toBe(ticket);
    ticket = withTurn.ticket as string;
    const afterTurn = await scriptCalls('queueTicket');
    for (let i = 0; i < 20; i++) {
      expect(await body(await poll(eventId, fan.accessToken, ticket))).toEqual(exact);
    }
    expect(await scriptCalls('queueTicket')).toBe(afterTurn);

    // Admitted: once from Redis for the pass, then from the ticket again.
    const queue = createQueue(a.redis, REDIS_KEY_PREFIX);
    let admitted: Record<string, unknown> = {};
    await eventually(
      async () => {
        await queue.admit(eventId, 3);
        admitted = await body(await poll(eventId, fan.accessToken, ticket));
        return admitted.status === 'admitted';
      },
      { timeoutMs: 3000, what: 'admitted' },
    );
    expect(admitted).toMatchObject({ status: 'admitted', position: 0 });
    expect(admitted.pass).toEqual(expect.any(String));
    const passTicket = admitted.ticket as string;
    const afterPass = await scriptCalls('queueTicket');
    expect(await body(await poll(eventId, fan.accessToken, passTicket))).toEqual(admitted);
    expect(await scriptCalls('queueTicket')).toBe(afterPass);
    const held = await send(
      a.app,
      'POST',
      '/v1/reservations',
      fan.accessToken,
      { eventId, categoryId, quantity: 1 },
      { 'Queue-Pass': admitted.pass as string },
    );
    expect(held.status).toBe(201);

    // Closed: every waiting ticket says so.
    expect(
      (await send(a.app, 'PATCH', `/v1/admin/events/${eventId}`, admin, { status: 'closed' }))
        .status,
    ).toBe(200);
    const lastTicket = joined[2]?.ticket as string;
    await eventually(
      async () =>
        (await body(await poll(eventId, last.accessToken, lastTicket))).status === 'closed',
      { timeoutMs: 2000, what: 'closed from the ticket' },
    );
  });

  it('refuses a forged, foreign, other-event or expired ticket with 403 queue_ticket_invalid', async () => {
    const { eventId } = await queuedDrop();
    const other = await queuedDrop();
    const [fan, rival] = await Promise.all([signedInUser(a.app), signedInUser(a.app)]);
    const mine = await body(
      await send(a.app, 'POST', `/v1/events/${eventId}/queue`, fan.accessToken),
    );
    const elsewhere = await body(
      await send(a.app, 'POST', `/v1/events/${other.eventId}/queue`, fan.accessToken),
    );
    await send(a.app, 'POST', `/v1/events/${eventId}/queue`, rival.accessToken);
    const ticket = mine.ticket as string;
    const fields = ticket.split('.');
    const claims = tickets.verify(ticket);
    if (!claims.ok) throw new Error('the engine gave a ticket it does not accept');

    const promoted = [...fields];
    promoted[4] = '1'; // the first turn, with the old signature
    const wrongKey = createQueueTickets(Buffer.alloc(32, 7)).sign(claims.claims);
    const expired = tickets.sign(claims.claims, Math.floor(Date.now() / 1000) - 1);
    const cases: [string, string, string][] = [
      ['tampered', fan.accessToken, promoted.join('.')],
      ['another key', fan.accessToken, wrongKey],
      ['garbage', fan.accessToken, 'not a ticket'],
      ['too long', fan.accessToken, `${ticket}${'x'.repeat(600)}`],
      ['another user', rival.accessToken, ticket],
      ['another event', fan.accessToken, elsewhere.ticket as string],
      ['expired', fan.accessToken, expired],
    ];
    for (const [what, token, given] of cases) {
      const res = await poll(eventId, token, given);
      expect(res.status, what).toBe(403);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect((await body(res)).code, what).toBe('queue_ticket_invalid');
    }
    // The fan's own ticket still works.
    expect((await poll(eventId, fan.accessToken, ticket)).status).toBe(200);
  });

  it('admits 10,000 fans in the same order with and without tickets, with exact positions', async () => {
    const { eventId } = await queuedDrop(5000);
    const queue = createQueue(a.redis, REDIS_KEY_PREFIX);
    const fans = Array.from({ length: 10_000 }, () => randomUUID());
    const inBatches = async <T>(f: (u: string) => Promise<T>) => {
      const out: T[] = [];
      for (let i = 0; i < fans.length; i += 1000)
        out.push(...(await Promise.all(fans.slice(i, i + 1000).map(f))));
      return out;
    };
    await inBatches((u) => queue.join(eventId, u));
    expect(
      (await send(a.app, 'PATCH', `/v1/admin/events/${eventId}`, admin, { status: 'on_sale' }))
        .status,
    ).toBe(200);
    // Each fan's ticket after the open (the poll that learns the turn).
    let claims = (await inBatches((u) => queue.place(eventId, u))).map(claimsOf);
    expect(new Set(claims.map((c) => c.turn)).size).toBe(10_000);

    const byTicket: number[] = new Array(10_000).fill(-1);
    const byRedis: number[] = new Array(10_000).fill(-1);
    for (let step = 0; byRedis.includes(-1) && step < 60; step++) {
      const view = await a.services.holds.view(eventId);
      if (!view) throw new Error('no view');
      const places = await inBatches((u) => queue.place(eventId, u));
      const now = Date.now();
      claims = claims.map((c, i) => {
        const redis = places[i] as QueuePlace;
        const fromTicket = placeOfTicket(c, view, now);
        if (redis.status === 'admitted' && byRedis[i] === -1) byRedis[i] = step;
        // Undefined: admitted since the ticket was given; the next poll asks Redis once.
        if (fromTicket === undefined) {
          if (byTicket[i] === -1) byTicket[i] = step;
          return claimsOf(redis);
        }
        if (fromTicket.status === 'admitted' && byTicket[i] === -1) byTicket[i] = step;
        if (redis.status === 'waiting') {
          expect(fromTicket.position).toBe(redis.position);
          expect(fromTicket.aheadOfYou).toBe(redis.aheadOfYou);
        }
        return c;
      });
      await queue.admit(eventId, 900);
    }
    expect(byTicket).toEqual(byRedis);
    expect(byRedis.filter((s) => s >= 0).length).toBe(10_000);
  }, 120_000);
});

describe('sold out from memory', () => {
  it('refuses a sold-out reserve without Redis, and reopens within the bound after an expiry', async () => {
    const { eventId, categoryId } = await createDrop(a.app, admin, {
      capacity: 2,
      holdTtlSeconds: 5,
    });
    const fans = await Promise.all(Array.from({ length: 3 }, () => signedInUser(a.app)));
    const reserve = (token: string) =>
      send(a.app, 'POST', '/v1/reservations', token, { eventId, categoryId, quantity: 1 });
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
    const holds = a.services.holds;
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
    await checkInvariants(a.redis, eventId);
  });

  it('never accepts a reserve beyond the stock when it returns under a 1,000-way race', async () => {
    const seats = 20;
    const { eventId, categoryId } = await createDrop(a.app, admin, {
      capacity: seats,
      perUserLimit: 10,
    });
    const holders = await Promise.all(Array.from({ length: 2 }, () => signedInUser(a.app)));
    const held: string[] = [];
    for (const h of holders)
      for (let i = 0; i < 10; i++) {
        const res = await send(a.app, 'POST', '/v1/reservations', h.accessToken, {
          eventId,
          categoryId,
          quantity: 1,
        });
        expect(res.status).toBe(201);
        held.push((await body(res)).id as string);
      }
    const crowd = await Promise.all(Array.from({ length: 100 }, () => signedInUser(a.app)));
    // Sold out, and known to be.
    await eventually(
      async () =>
        (
          await send(a.app, 'POST', '/v1/reservations', crowd[0]?.accessToken, {
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
          a.app,
          'DELETE',
          `/v1/reservations/${id}`,
          (holders[Math.floor(i / 10)] as (typeof holders)[0]).accessToken,
        ),
      );
    const race = Array.from({ length: 1000 }, (_, i) =>
      send(a.app, 'POST', '/v1/reservations', crowd[i % 100]?.accessToken, {
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
          a.app,
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
        return ((await a.services.holds.stock(eventId))[0]?.available ?? -1) === 0;
      },
      { timeoutMs: 3000, what: 'the returned stock sold' },
    );
    expect(won).toBe(10);
    const stock = (await a.services.holds.stock(eventId))[0];
    expect(stock).toMatchObject({ capacity: seats, held: seats, available: 0 });
    await checkInvariants(a.redis, eventId);
  });
});

describe('the crowd lane', () => {
  /** How many requests of `route` the lane answered before the app, from the metrics. */
  async function laneServed(route: string): Promise<number> {
    const line = (await a.metrics())
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
    const fan = await signedInUser(a.app);
    const joined = await body(
      await send(a.app, 'POST', `/v1/events/${eventId}/queue`, fan.accessToken),
    );
    const ticket = joined.ticket as string;

    // Availability: a token the api has never seen goes to the app (which verifies it).
    const availability = `/v1/events/${eventId}/availability`;
    const route = '/v1/events/:eventId/availability';
    const lane = await fromLane(route, () => send(a.app, 'GET', availability));
    const app = await seen(await send(a.app, 'GET', availability, 'not.a.token'));
    expect(lane).toEqual(app);
    expect(lane.status).toBe(200);
    const etag = lane.headers.etag as string;
    const revalidate = () =>
      send(a.app, 'GET', availability, undefined, undefined, { 'If-None-Match': etag });
    const lane304 = await fromLane(route, revalidate);
    expect(lane304).toEqual(
      await seen(
        await send(a.app, 'GET', availability, 'not.a.token', undefined, { 'If-None-Match': etag }),
      ),
    );
    expect(lane304.status).toBe(304);

    // A poll: without its ticket it goes to the app (and Redis).
    const me = '/v1/events/:eventId/queue/me';
    const polled = await fromLane(me, () => poll(eventId, fan.accessToken, ticket));
    expect(polled).toEqual(await seen(await poll(eventId, fan.accessToken)));
    expect(JSON.parse(polled.body)).toMatchObject({ status: 'waiting', position: 1, ticket });
    const unchanged = await fromLane(me, () =>
      send(a.app, 'GET', `/v1/events/${eventId}/queue/me`, fan.accessToken, undefined, {
        'Queue-Ticket': ticket,
        'If-None-Match': polled.headers.etag as string,
      }),
    );
    expect(unchanged.status).toBe(304);
    expect(unchanged.headers.etag).toBe(polled.headers.etag);

    // Not the lane's: another's ticket (403 from the app), no token (401).
    const rival = await signedInUser(a.app);
    expect((await poll(eventId, rival.accessToken, ticket)).status).toBe(403);
    expect(
      (
        await send(a.app, 'GET', `/v1/events/${eventId}/queue/me`, undefined, undefined, {
          'Queue-Ticket': ticket,
        })
      ).status,
    ).toBe(401);
  });
});
