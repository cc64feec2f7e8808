// The waiting room (SPEC §7) against real Redis and Postgres, over HTTP where a client
// would go, and with real concurrency: the fair shuffle of the pre-queue, the admission
// rate across three reapers, the pass on reserve, sold out reaching the queue and
// admission resuming when stock returns, and one place per user.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createQueue } from '../../core/queue/queue.js';
import { keyspace } from '../../core/reservations/keys.js';
import { createLogger } from '../../platform/logger.js';
import { createRegistry } from '../../platform/metrics.js';
import { createAdmission } from '../../reaper/admission.js';
import { createReaper } from '../../reaper/expiry.js';
import { buildTestApp } from '../helpers/app.js';
import { signedInUser } from '../helpers/auth.js';
import { adminToken, body, send } from '../helpers/drop.js';
import { checkInvariants } from '../helpers/invariants.js';
import { eventually, functionalConfig, REDIS_KEY_PREFIX, testRedis } from '../helpers/services.js';

type TestApp = Awaited<ReturnType<typeof buildTestApp>>;
let a: TestApp;
let admin: string;
const config = functionalConfig();
const logger = createLogger(config, 'waiting-room-test');
const keys = keyspace(REDIS_KEY_PREFIX);

beforeAll(async () => {
  a = await buildTestApp(config);
  admin = await adminToken(a);
});
afterAll(async () => {
  await a?.close();
});

/** An event with a waiting room and one category, made through the admin routes. */
async function queuedDrop(opts: {
  admitPerSecond: number;
  capacity?: number;
  status?: 'draft' | 'on_sale';
  holdTtlSeconds?: number;
  passTtlSeconds?: number;
}) {
  const event = await send(a.app, 'POST', '/v1/admin/events', admin, {
    name: `Queued ${randomUUID().slice(0, 8)}`,
    venue: 'Arena',
    startsAt: new Date(Date.now() + 30 * 86_400_000).toISOString(),
    status: opts.status ?? 'draft',
    holdTtlSeconds: opts.holdTtlSeconds,
    waitingRoom: {
      enabled: true,
      admitPerSecond: opts.admitPerSecond,
      passTtlSeconds: opts.passTtlSeconds,
    },
  });
  expect(event.status).toBe(201);
  const eventJson = await body(event);
  expect(eventJson.waitingRoom).toEqual({
    enabled: true,
    admitPerSecond: opts.admitPerSecond,
    passTtlSeconds: opts.passTtlSeconds ?? 600,
  });
  const eventId = eventJson.id as string;
  const category = await send(a.app, 'POST', `/v1/admin/events/${eventId}/categories`, admin, {
    name: 'GA',
    priceCents: 5000,
    capacity: opts.capacity ?? 1000,
  });
  expect(category.status).toBe(201);
  return { eventId, categoryId: (await body(category)).id as string };
}

const open = async (eventId: string) =>
  expect(
    (await send(a.app, 'PATCH', `/v1/admin/events/${eventId}`, admin, { status: 'on_sale' }))
      .status,
  ).toBe(200);

/** Admission steps as a reaper takes them, `n` times, back to back. */
async function admit(eventId: string, n = 1) {
  const queue = createQueue(a.redis, REDIS_KEY_PREFIX);
  for (let i = 0; i < n; i++) await queue.admit(eventId, 5000);
}

const reserve = (
  token: string,
  target: { eventId: string; categoryId: string },
  pass?: string,
  quantity = 1,
) =>
  send(
    a.app,
    'POST',
    '/v1/reservations',
    token,
    { ...target, quantity },
    pass === undefined ? {} : { 'Queue-Pass': pass },
  );

const ticketOf = async (eventId: string, token: string) => {
  const res = await send(a.app, 'GET', `/v1/events/${eventId}/queue/me`, token);
  expect(res.status).toBe(200);
  return body(res);
};

describe('joining and the ticket', () => {
  it('joins once, serves the ticket with ETag/304 and Retry-After, and shows the public status', async () => {
    const { eventId } = await queuedDrop({ admitPerSecond: 100 });
    const fan = await signedInUser(a.app);
    const joined = await send(a.app, 'POST', `/v1/events/${eventId}/queue`, fan.accessToken);
    expect(joined.status).toBe(201);
    const ticket = await body(joined);
    expect(ticket).toMatchObject({ eventId, status: 'waiting', position: 1, aheadOfYou: 0 });
    expect(ticket.pass).toBeUndefined();

    const again = await send(a.app, 'POST', `/v1/events/${eventId}/queue`, fan.accessToken);
    expect(again.status).toBe(200);
    expect((await body(again)).joinedAt).toBe(ticket.joinedAt);

    const me = await send(a.app, 'GET', `/v1/events/${eventId}/queue/me`, fan.accessToken);
    expect(me.status).toBe(200);
    const etag = me.headers.get('etag');
    expect(etag).toMatch(/^"[\w-]+"$/);
    expect(Number(me.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    const unchanged = await send(
      a.app,
      'GET',
      `/v1/events/${eventId}/queue/me`,
      fan.accessToken,
      undefined,
      {
        'If-None-Match': etag,
      },
    );
    expect(unchanged.status).toBe(304);

    const status = await send(a.app, 'GET', `/v1/events/${eventId}/queue`);
    expect(status.status).toBe(200);
    expect(await body(status)).toEqual({
      status: 'pre_queue',
      waiting: 1,
      admittedTotal: 0,
      admitPerSecond: 100,
    });

    // Someone who never joined, an event without a room, and no event at all: 404.
    const stranger = await signedInUser(a.app);
    expect(
      (await send(a.app, 'GET', `/v1/events/${eventId}/queue/me`, stranger.accessToken)).status,
    ).toBe(404);
    expect(
      (await send(a.app, 'POST', `/v1/events/${randomUUID()}/queue`, stranger.accessToken)).status,
    ).toBe(404);
    expect((await send(a.app, 'POST', `/v1/events/${eventId}/queue`)).status).toBe(401);
  });

  it('gives one place to a user joining 50 times in parallel', async () => {
    const { eventId } = await queuedDrop({ admitPerSecond: 10 });
    const fan = await signedInUser(a.app);
    const answers = await Promise.all(
      Array.from({ length: 50 }, () =>
        send(a.app, 'POST', `/v1/events/${eventId}/queue`, fan.accessToken),
      ),
    );
    expect(answers.filter((r) => r.status === 201)).toHaveLength(1);
    expect(answers.filter((r) => r.status === 200)).toHaveLength(49);
    const joinedAt = new Set(await Promise.all(answers.map(async (r) => (await body(r)).joinedAt)));
    expect(joinedAt.size).toBe(1);
    expect(await a.redis.zcard(keys.event(eventId).queue)).toBe(1);
  });

  it('leaves an event without a waiting room as it was: no queue, no pass asked', async () => {
    const event = await send(a.app, 'POST', '/v1/admin/events', admin, {
      name: 'Plain drop',
      venue: 'Hall',
      startsAt: new Date(Date.now() + 86_400_000).toISOString(),
      status: 'on_sale',
    });
    const eventJson = await body(event);
    expect(eventJson.waitingRoom).toEqual({
      enabled: false,
      admitPerSecond: null,
      passTtlSeconds: 600,
    });
    const eventId = eventJson.id as string;
    const category = await body(
      await send(a.app, 'POST', `/v1/admin/events/${eventId}/categories`, admin, {
        name: 'GA',
        priceCents: 100,
        capacity: 5,
      }),
    );
    const fan = await signedInUser(a.app);
    expect((await send(a.app, 'POST', `/v1/events/${eventId}/queue`, fan.accessToken)).status).toBe(
      404,
    );
    const reserved = await reserve(
      fan.accessToken,
      { eventId, categoryId: category.id as string },
      'whatever',
    );
    expect(reserved.status).toBe(201);
  });

  it('refuses waiting room settings that make no sense, changing nothing', async () => {
    for (const waitingRoom of [
      { enabled: true },
      { enabled: true, admitPerSecond: 0 },
      { enabled: true, admitPerSecond: 10, passTtlSeconds: 1 },
      { enabled: 'yes', admitPerSecond: 10 },
    ]) {
      const res = await send(a.app, 'POST', '/v1/admin/events', admin, {
        name: 'Bad room',
        venue: 'Hall',
        startsAt: new Date(Date.now() + 86_400_000).toISOString(),
        waitingRoom,
      });
      expect(res.status, JSON.stringify(waitingRoom)).toBe(400);
      expect((await body(res)).code).toBe('validation_failed');
    }
  });
});

describe('passes', () => {
  it('asks for a valid pass of this user and event, and records it with the hold', async () => {
    const { eventId, categoryId } = await queuedDrop({ admitPerSecond: 1000, status: 'on_sale' });
    const other = await queuedDrop({ admitPerSecond: 1000, status: 'on_sale' });
    const [ann, bob] = await Promise.all([signedInUser(a.app), signedInUser(a.app)]);
    for (const fan of [ann, bob]) {
      await send(a.app, 'POST', `/v1/events/${eventId}/queue`, fan.accessToken);
      await send(a.app, 'POST', `/v1/events/${other.eventId}/queue`, fan.accessToken);
    }
    const drop = { eventId, categoryId };
    const none = await reserve(ann.accessToken, drop);
    expect(none.status).toBe(403);
    expect((await body(none)).code).toBe('queue_pass_required');

    // The clock needs a moment between two steps to owe anyone admission.
    await admit(eventId);
    await admit(other.eventId);
    await eventually(async () => {
      await admit(eventId);
      await admit(other.eventId);
      return (await ticketOf(eventId, bob.accessToken)).status === 'admitted';
    });
    const annTicket = await ticketOf(eventId, ann.accessToken);
    expect(annTicket.status).toBe('admitted');
    expect(annTicket.position).toBe(0);
    const annPass = annTicket.pass as string;
    expect(Date.parse(annTicket.passExpiresAt as string)).toBeGreaterThan(Date.now() + 500_000);
    const bobPass = (await ticketOf(eventId, bob.accessToken)).pass as string;
    const annOtherPass = (await ticketOf(other.eventId, ann.accessToken)).pass as string;
    expect(annOtherPass).toBeTruthy();

    const tampered = `${annPass.slice(0, -3)}${annPass.endsWith('AAA') ? 'BBB' : 'AAA'}`;
    const expired = await a.services.queuePasses.sign(ann.id, eventId, Date.now() - 1000);
    for (const [what, pass] of [
      ['another user’s', bobPass],
      ['another event’s', annOtherPass],
      ['tampered', tampered],
      ['expired', expired],
      ['an access token', ann.accessToken],
      ['garbage', 'x'],
    ] as const) {
      const res = await reserve(ann.accessToken, drop, pass);
      expect(res.status, what).toBe(403);
      expect((await body(res)).code, what).toBe('queue_pass_invalid');
    }
    // A pass is no access token either.
    expect((await send(a.app, 'GET', '/v1/me/reservations', annPass)).status).toBe(401);

    const ok = await reserve(ann.accessToken, drop, annPass);
    expect(ok.status).toBe(201);
    const hold = await body(ok);
    // The outbox change carries the pass's id.
    const entries = await a.redis.xrange(keys.event(eventId).outbox, '-', '+');
    const held = entries
      .map(([, fields]) => fields)
      .find((f) => f[f.indexOf('reservationId') + 1] === hold.id) as string[];
    expect(held[held.indexOf('queuePass') + 1]).toMatch(/^[\w-]{22}$/);

    // Per-user limits still hold with a pass (the event's default is 10 per user).
    const many = await reserve(ann.accessToken, drop, annPass, 10);
    expect(many.status).toBe(409);
    expect((await body(many)).code).toBe('limit_exceeded');
    await checkInvariants(a.redis, eventId);
  });
});

describe('fairness', () => {
  it('shuffles 10,000 early joiners uniformly at the open, then serves later ones in order', async () => {
    const { eventId } = await queuedDrop({ admitPerSecond: 10 });
    const queue = createQueue(a.redis, REDIS_KEY_PREFIX);
    const early = Array.from({ length: 10_000 }, () => randomUUID());
    // In join order, in waves of 500 concurrent joins.
    for (let i = 0; i < early.length; i += 500)
      await Promise.all(early.slice(i, i + 500).map((u) => queue.join(eventId, u)));
    await open(eventId);
    const late = Array.from({ length: 100 }, () => randomUUID());
    for (const u of late) await queue.join(eventId, u);

    const positions: number[] = [];
    for (let i = 0; i < early.length; i += 500)
      positions.push(
        ...(await Promise.all(early.slice(i, i + 500).map((u) => queue.place(eventId, u)))).map(
          (p) => p.position,
        ),
      );
    // Every place from 1 to 10,000 taken once.
    expect([...positions].sort((x, y) => x - y)).toEqual(early.map((_, i) => i + 1));
    // Spearman's ρ between join order and place: no trace of the order left.
    const n = positions.length;
    const d2 = positions.reduce((sum, p, i) => sum + (p - (i + 1)) ** 2, 0);
    const rho = 1 - (6 * d2) / (n * (n * n - 1));
    expect(Math.abs(rho)).toBeLessThan(0.05);
    // After the open: strictly first come, first served, behind the pre-queue.
    const latePositions = await Promise.all(late.map((u) => queue.place(eventId, u)));
    expect(latePositions.map((p) => p.position)).toEqual(late.map((_, i) => 10_001 + i));
  });
});

describe('admission', () => {
  it('admits admitPerSecond ± 10 % with three reapers, never more than rate × elapsed + 1 s', async () => {
    const rate = 50;
    const seconds = 20;
    const { eventId } = await queuedDrop({ admitPerSecond: rate, status: 'on_sale' });
    const queue = createQueue(a.redis, REDIS_KEY_PREFIX);
    const fans = Array.from({ length: rate * (seconds + 5) }, () => randomUUID());
    for (let i = 0; i < fans.length; i += 500)
      await Promise.all(fans.slice(i, i + 500).map((u) => queue.join(eventId, u)));

    // Three reapers, each with its own connection, as three processes would tick.
    const connections = await Promise.all([0, 1, 2].map(() => testRedis()));
    const reapers = connections.map((redis) =>
      createAdmission(createQueue(redis, REDIS_KEY_PREFIX), logger, createRegistry('reaper'), {
        intervalMs: 100,
      }),
    );
    const admitted = async () => (await queue.summary(eventId)).admittedTotal;
    const started = Date.now();
    for (const r of reapers) r.start();
    const samples: { at: number; admitted: number }[] = [];
    try {
      while (Date.now() - started < seconds * 1000) {
        await new Promise((r) => setTimeout(r, 250));
        const sample = { at: Date.now(), admitted: await admitted() };
        samples.push(sample);
        // Never ahead of the rate by more than one second's worth.
        expect(sample.admitted).toBeLessThanOrEqual(rate * ((sample.at - started) / 1000) + rate);
      }
    } finally {
      await Promise.all(reapers.map((r) => r.stop()));
      for (const c of connections) c.disconnect();
    }
    // Each 5-second window after the first second admits rate ± 10 % per second.
    const from = samples.find((s) => s.at - started >= 1000) as (typeof samples)[number];
    for (let w = 0; w < 3; w++) {
      const start = samples.find((s) => s.at >= from.at + w * 5000) as (typeof samples)[number];
      const end = samples.find((s) => s.at >= start.at + 5000) as (typeof samples)[number];
      const perSecond = (end.admitted - start.admitted) / ((end.at - start.at) / 1000);
      expect(perSecond, `window ${w}`).toBeGreaterThanOrEqual(rate * 0.9);
      expect(perSecond, `window ${w}`).toBeLessThanOrEqual(rate * 1.1);
    }
  }, 60_000);

  it('tells the queue sold out within 1 s, and resumes when expired holds return the stock', async () => {
    const { eventId, categoryId } = await queuedDrop({
      admitPerSecond: 2,
      capacity: 2,
      status: 'on_sale',
      holdTtlSeconds: 5,
    });
    const fans = await Promise.all(Array.from({ length: 8 }, () => signedInUser(a.app)));
    for (const fan of fans)
      await send(a.app, 'POST', `/v1/events/${eventId}/queue`, fan.accessToken);
    const registry = createRegistry('reaper');
    const admission = createAdmission(createQueue(a.redis, REDIS_KEY_PREFIX), logger, registry, {
      intervalMs: 100,
    });
    const expiry = createReaper(a.services.holds, logger, registry, {
      intervalMs: 100,
      batchSize: 100,
    });
    admission.start();
    expiry.start();
    try {
      // The first two admitted take the last two seats.
      const [first, second] = fans as [(typeof fans)[number], (typeof fans)[number]];
      for (const fan of [first, second]) {
        await eventually(
          async () => (await ticketOf(eventId, fan.accessToken)).status === 'admitted',
          {
            timeoutMs: 5000,
          },
        );
        const pass = (await ticketOf(eventId, fan.accessToken)).pass as string;
        expect((await reserve(fan.accessToken, { eventId, categoryId }, pass)).status).toBe(201);
      }
      const soldOutAt = Date.now();
      const last = fans[fans.length - 1] as (typeof fans)[number];
      await eventually(
        async () => (await ticketOf(eventId, last.accessToken)).status === 'sold_out',
        {
          timeoutMs: 1000,
          what: 'sold_out within 1 s',
        },
      );
      expect(Date.now() - soldOutAt).toBeLessThan(1000);
      expect((await body(await send(a.app, 'GET', `/v1/events/${eventId}/queue`))).status).toBe(
        'sold_out',
      );
      const admittedWhileSoldOut = (await createQueue(a.redis, REDIS_KEY_PREFIX).summary(eventId))
        .admittedTotal;

      // The holds expire (5 s): stock returns, the queue waits again and admission resumes.
      await eventually(
        async () =>
          (await createQueue(a.redis, REDIS_KEY_PREFIX).summary(eventId)).admittedTotal >
          admittedWhileSoldOut,
        { timeoutMs: 10_000, what: 'admission resumed' },
      );
      expect(['waiting', 'admitted']).toContain((await ticketOf(eventId, last.accessToken)).status);
    } finally {
      await admission.stop();
      await expiry.stop();
    }
    await checkInvariants(a.redis, eventId);
  }, 30_000);
});
