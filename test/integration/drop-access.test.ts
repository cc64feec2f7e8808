// Drop access (SPEC §9) against real Redis and Postgres, over HTTP: presale codes (issued
// once, stored as hashes, bound to the first account, racing accounts), the proof-of-work
// gate (a solution good once, even in parallel; an expired one refused), a presale that
// ends by itself, an event with neither gate as before, and refusals that cost no stock,
// no queue place and no write to the record.
import { createHash, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Challenge } from '../../core/access/challenges.js';
import { createQueue } from '../../core/queue/queue.js';
import { keyspace } from '../../core/reservations/keys.js';
import { solve as solveWith } from '../../tools/dev/solve-challenge.js';
import { buildTestApp } from '../helpers/app.js';
import { signedInUser } from '../helpers/auth.js';
import { adminToken, body, type Json, send } from '../helpers/drop.js';
import { eventually, functionalConfig, REDIS_KEY_PREFIX } from '../helpers/services.js';

type TestApp = Awaited<ReturnType<typeof buildTestApp>>;
let a: TestApp;
let admin: string;
const keys = keyspace(REDIS_KEY_PREFIX);

beforeAll(async () => {
  a = await buildTestApp(functionalConfig());
  admin = await adminToken(a);
});
afterAll(async () => {
  await a?.close();
});

interface DropOptions {
  waitingRoom?: boolean;
  presaleEndsAt?: Date;
  difficulty?: number;
  status?: 'draft' | 'on_sale';
  capacity?: number;
}

/** An event with one category and the gates asked for, made through the admin routes. */
async function gatedDrop(opts: DropOptions) {
  const event = await send(a.app, 'POST', '/v1/admin/events', admin, {
    name: `Gated ${randomUUID().slice(0, 8)}`,
    venue: 'Arena',
    startsAt: new Date(Date.now() + 30 * 86_400_000).toISOString(),
    status: opts.status ?? 'on_sale',
    perUserLimit: 10,
    ...(opts.waitingRoom ? { waitingRoom: { enabled: true, admitPerSecond: 1000 } } : {}),
    ...(opts.presaleEndsAt
      ? { presale: { enabled: true, endsAt: opts.presaleEndsAt.toISOString() } }
      : {}),
    ...(opts.difficulty ? { botChallenge: { enabled: true, difficulty: opts.difficulty } } : {}),
  });
  expect(event.status, await event.clone().text()).toBe(201);
  const eventJson = await body(event);
  const category = await send(a.app, 'POST', `/v1/admin/events/${eventJson.id}/categories`, admin, {
    name: 'GA',
    priceCents: 5000,
    capacity: opts.capacity ?? 100,
  });
  expect(category.status).toBe(201);
  return {
    event: eventJson,
    eventId: eventJson.id as string,
    categoryId: (await body(category)).id as string,
  };
}

const issue = async (eventId: string, count: number) => {
  const res = await send(a.app, 'POST', `/v1/admin/events/${eventId}/access-codes`, admin, {
    count,
  });
  expect(res.status).toBe(201);
  return (await body(res)).codes as string[];
};

const counts = async (eventId: string) =>
  body(await send(a.app, 'GET', `/v1/admin/events/${eventId}/access-codes`, admin));

const join = (eventId: string, token: string, headers: Record<string, string> = {}) =>
  send(a.app, 'POST', `/v1/events/${eventId}/queue`, token, undefined, headers);

const reserve = (
  token: string,
  drop: { eventId: string; categoryId: string },
  headers: Record<string, string> = {},
) => send(a.app, 'POST', '/v1/reservations', token, { ...drop, quantity: 1 }, headers);

/** A solved challenge as ALTCHA's widget submits it: Base64 of the JSON (the dev tool's). */
const solve = async (challenge: Challenge) => (await solveWith(challenge)).header;

async function solvedChallenge(eventId: string): Promise<string> {
  const res = await send(a.app, 'GET', `/v1/events/${eventId}/challenge`);
  expect(res.status).toBe(200);
  expect(res.headers.get('cache-control')).toBe('no-store');
  return solve((await res.json()) as Challenge);
}

const codeOf = async (res: Response) => (await body(res)).code;
const waiting = (eventId: string) => a.redis.zcard(keys.event(eventId).queue);
const held = async (eventId: string) =>
  (await a.services.holds.stock(eventId)).reduce((sum, k) => sum + k.held + k.confirmed, 0);
const records = async (eventId: string) =>
  Number((await a.sql`select count(*) as n from reservations where event_id = ${eventId}`)[0]?.n);
const refused = async (reason: string) => {
  const line = (await a.metrics())
    .split('\n')
    .find((l) => l.startsWith(`drop_access_refused_total{reason="${reason}"`));
  return Number(line?.split(' ').pop() ?? 0);
};

describe('presale codes', () => {
  it('binds a code to its first account: the same one may reuse it, another is refused', async () => {
    const { eventId, event } = await gatedDrop({
      waitingRoom: true,
      status: 'draft',
      presaleEndsAt: new Date(Date.now() + 3_600_000),
    });
    expect(event.presale).toEqual({ enabled: true, endsAt: expect.any(String) });
    const [code, spare] = (await issue(eventId, 2)) as [string, string];
    expect(code).toMatch(/^[0-9A-Z]{5}(-[0-9A-Z]{5}){3}$/);
    const [ann, bob] = await Promise.all([signedInUser(a.app), signedInUser(a.app)]);
    const usedBefore = await refused('access_code_used');

    const none = await join(eventId, bob.accessToken);
    expect(none.status).toBe(403);
    expect(await codeOf(none)).toBe('access_code_required');
    expect(none.headers.get('content-type')).toBe('application/problem+json');
    for (const wrong of ['AAAAA-AAAAA-AAAAA-AAAAA', 'not a code', 'x'.repeat(500)]) {
      const res = await join(eventId, bob.accessToken, { 'Access-Code': wrong });
      expect(res.status, wrong).toBe(403);
      expect(await codeOf(res), wrong).toBe('access_code_invalid');
    }

    expect((await join(eventId, ann.accessToken, { 'Access-Code': code })).status).toBe(201);
    // Typed by hand: lower case, without dashes.
    const again = await join(eventId, ann.accessToken, {
      'Access-Code': code.replaceAll('-', '').toLowerCase(),
    });
    expect(again.status).toBe(200);
    const taken = await join(eventId, bob.accessToken, { 'Access-Code': code });
    expect(taken.status).toBe(403);
    expect(await codeOf(taken)).toBe('access_code_used');
    expect(await refused('access_code_used')).toBe(usedBefore + 1);

    // Refusals took no place in the room; the spare code is still free.
    expect(await waiting(eventId)).toBe(1);
    expect(await counts(eventId)).toEqual({ issued: 2, used: 1 });
    expect((await join(eventId, bob.accessToken, { 'Access-Code': spare })).status).toBe(201);
    expect(await counts(eventId)).toEqual({ issued: 2, used: 2 });
  });

  it('gives one code to exactly one of ten accounts racing for it', async () => {
    const { eventId } = await gatedDrop({
      waitingRoom: true,
      status: 'draft',
      presaleEndsAt: new Date(Date.now() + 3_600_000),
    });
    const [code] = (await issue(eventId, 1)) as [string];
    const fans = await Promise.all(Array.from({ length: 10 }, () => signedInUser(a.app)));
    const answers = await Promise.all(
      fans.map((fan) => join(eventId, fan.accessToken, { 'Access-Code': code })),
    );
    const statuses = answers.map((r) => r.status).sort();
    expect(statuses).toEqual([201, ...Array(9).fill(403)]);
    for (const res of answers.filter((r) => r.status === 403))
      expect(await codeOf(res)).toBe('access_code_used');
    const [row] = await a.sql`select user_id from access_codes where event_id = ${eventId}`;
    const winner = fans[answers.findIndex((r) => r.status === 201)];
    expect(row?.user_id).toBe(winner?.id);
    expect(await waiting(eventId)).toBe(1);
  });

  it('issues 1,000 distinct codes, shown once and stored only as hashes', async () => {
    const { eventId } = await gatedDrop({ presaleEndsAt: new Date(Date.now() + 3_600_000) });
    const codes = await issue(eventId, 1000);
    expect(codes).toHaveLength(1000);
    expect(new Set(codes).size).toBe(1000);
    expect(await counts(eventId)).toEqual({ issued: 1000, used: 0 });

    const rows = await a.sql`select * from access_codes where event_id = ${eventId}`;
    expect(rows).toHaveLength(1000);
    const stored = JSON.stringify(
      rows.map((r) => ({ ...r, code_hash: r.code_hash.toString('hex') })),
    );
    const expected = new Set(
      codes.map((c) =>
        createHash('sha256')
          .update(`${eventId}\n${c.replaceAll('-', '')}`)
          .digest('hex'),
      ),
    );
    for (const row of rows) expect(expected.has(row.code_hash.toString('hex'))).toBe(true);
    const audit = await a.sql`select * from audit_log where target_id = ${eventId}`;
    const issued = audit.find((r) => r.action === 'event.access_codes_issued');
    expect(issued?.details).toEqual({ count: 1000 });
    const auditText = JSON.stringify(audit);
    // Nor in Redis: the event's keys hold nothing of them.
    const redisText = JSON.stringify(
      await Promise.all(
        (await a.redis.keys(`${REDIS_KEY_PREFIX}{ev:${eventId}}*`)).map(async (k) => [
          k,
          (await a.redis.type(k)) === 'hash' ? await a.redis.hgetall(k) : null,
        ]),
      ),
    );
    for (const code of codes) {
      for (const spelling of [code, code.replaceAll('-', '')]) {
        expect(stored.includes(spelling)).toBe(false);
        expect(auditText.includes(spelling)).toBe(false);
        expect(redisText.includes(spelling)).toBe(false);
      }
    }
  });

  it('asks for a code to reserve, without a waiting room, until the presale ends by itself', async () => {
    const endsAt = new Date(Date.now() + 1500);
    const drop = await gatedDrop({ presaleEndsAt: endsAt });
    const fan = await signedInUser(a.app);
    const none = await reserve(fan.accessToken, drop);
    expect(none.status).toBe(403);
    expect(await codeOf(none)).toBe('access_code_required');
    expect(await held(drop.eventId)).toBe(0);
    expect(await records(drop.eventId)).toBe(0);

    await new Promise((r) => setTimeout(r, endsAt.getTime() - Date.now() + 50));
    const after = await reserve(fan.accessToken, drop);
    expect(after.status).toBe(201);
    expect(await held(drop.eventId)).toBe(1);
  });

  it('issues the most codes one request may ask for, 100,000, in one go', async () => {
    const { eventId } = await gatedDrop({ presaleEndsAt: new Date(Date.now() + 3_600_000) });
    const started = performance.now();
    const codes = await issue(eventId, 100_000);
    const tookMs = performance.now() - started;
    expect(new Set(codes).size).toBe(100_000);
    expect(await counts(eventId)).toEqual({ issued: 100_000, used: 0 });
    expect(tookMs).toBeLessThan(30_000);
  }, 60_000);

  it('answers 404 for the codes of an unknown event and refuses a count out of range', async () => {
    const nowhere = randomUUID();
    const path = `/v1/admin/events/${nowhere}/access-codes`;
    expect((await send(a.app, 'POST', path, admin, { count: 1 })).status).toBe(404);
    expect((await send(a.app, 'GET', path, admin)).status).toBe(404);
    const { eventId } = await gatedDrop({});
    for (const count of [0, 100_001, 1.5, 'ten']) {
      const res = await send(a.app, 'POST', `/v1/admin/events/${eventId}/access-codes`, admin, {
        count,
      });
      expect(res.status, String(count)).toBe(400);
    }
    const fan = await signedInUser(a.app);
    expect(
      (
        await send(a.app, 'POST', `/v1/admin/events/${eventId}/access-codes`, fan.accessToken, {
          count: 1,
        })
      ).status,
    ).toBe(403);
  });
});

describe('the bot challenge', () => {
  it('accepts a solution once, of 50 parallel requests with it', async () => {
    const drop = await gatedDrop({ difficulty: 1000 });
    expect(drop.event.botChallenge).toEqual({ enabled: true, difficulty: 1000 });
    const solution = await solvedChallenge(drop.eventId);
    const fans = await Promise.all(Array.from({ length: 50 }, () => signedInUser(a.app)));
    const answers = await Promise.all(
      fans.map((fan) => reserve(fan.accessToken, drop, { 'Challenge-Solution': solution })),
    );
    expect(answers.filter((r) => r.status === 201)).toHaveLength(1);
    const refusals = answers.filter((r) => r.status !== 201);
    expect(refusals.map((r) => r.status)).toEqual(Array(49).fill(403));
    for (const res of refusals) expect(await codeOf(res)).toBe('challenge_invalid');
    expect(await held(drop.eventId)).toBe(1);
    expect(await records(drop.eventId)).toBe(0);
  });

  it('refuses no solution, an expired one, a wrong one and another event’s', async () => {
    const drop = await gatedDrop({ difficulty: 1000 });
    const other = await gatedDrop({ difficulty: 1000 });
    const fan = await signedInUser(a.app);
    const requiredBefore = await refused('challenge_required');
    const none = await reserve(fan.accessToken, drop);
    expect(await codeOf(none)).toBe('challenge_required');
    expect(await refused('challenge_required')).toBe(requiredBefore + 1);

    const expired = await solve(
      await a.services.challenges.create(drop.eventId, 1000, Date.now() - 5 * 60_000 - 2000),
    );
    const good = JSON.parse(Buffer.from(await solvedChallenge(drop.eventId), 'base64').toString());
    const wrong = Buffer.from(JSON.stringify({ ...good, number: good.number + 1 })).toString(
      'base64',
    );
    for (const [what, solution] of [
      ['expired', expired],
      ['wrong number', wrong],
      ['another event’s', await solvedChallenge(other.eventId)],
      ['garbage', 'bm90IGpzb24='],
    ] as const) {
      const res = await reserve(fan.accessToken, drop, { 'Challenge-Solution': solution });
      expect(res.status, what).toBe(403);
      expect(await codeOf(res), what).toBe('challenge_invalid');
    }
    expect(await held(drop.eventId)).toBe(0);
  });

  it('gates a patched event at once, and the challenge route only where it is on', async () => {
    const drop = await gatedDrop({});
    const fan = await signedInUser(a.app);
    expect((await send(a.app, 'GET', `/v1/events/${drop.eventId}/challenge`)).status).toBe(404);
    expect((await send(a.app, 'GET', `/v1/events/${randomUUID()}/challenge`)).status).toBe(404);
    expect((await reserve(fan.accessToken, drop)).status).toBe(201);
    const patched = await send(a.app, 'PATCH', `/v1/admin/events/${drop.eventId}`, admin, {
      botChallenge: { enabled: true },
    });
    expect((await body(patched)).botChallenge).toEqual({ enabled: true, difficulty: 100_000 });
    await eventually(
      async () => (await codeOf(await reserve(fan.accessToken, drop))) === 'challenge_required',
    );
    const challenge = (await (
      await send(a.app, 'GET', `/v1/events/${drop.eventId}/challenge`)
    ).json()) as Json;
    expect(challenge).toMatchObject({ algorithm: 'SHA-256', maxnumber: 100_000 });
    expect(challenge.salt).toMatch(/\?expires=\d+&$/);
    await send(a.app, 'PATCH', `/v1/admin/events/${drop.eventId}`, admin, {
      botChallenge: { enabled: false },
    });
    await eventually(async () => (await reserve(fan.accessToken, drop)).status === 201);
  });
});

describe('both gates in front of a waiting room', () => {
  it('lets a fan with a code and a solution in; the pass then reserves without either', async () => {
    const drop = await gatedDrop({
      waitingRoom: true,
      presaleEndsAt: new Date(Date.now() + 3_600_000),
      difficulty: 1000,
    });
    const [code] = (await issue(drop.eventId, 1)) as [string];
    const [fan, bot] = await Promise.all([signedInUser(a.app), signedInUser(a.app)]);

    // A bot without either: refused for the cheapest reason first, and takes no place.
    expect(await codeOf(await join(drop.eventId, bot.accessToken))).toBe('challenge_required');
    const noCode = await join(drop.eventId, bot.accessToken, {
      'Challenge-Solution': await solvedChallenge(drop.eventId),
    });
    expect(await codeOf(noCode)).toBe('access_code_required');
    expect(await waiting(drop.eventId)).toBe(0);

    const joined = await join(drop.eventId, fan.accessToken, {
      'Access-Code': code,
      'Challenge-Solution': await solvedChallenge(drop.eventId),
    });
    expect(joined.status).toBe(201);
    const queue = createQueue(a.redis, REDIS_KEY_PREFIX);
    let ticket: Json = {};
    await eventually(async () => {
      await queue.admit(drop.eventId, 5000);
      ticket = await body(
        await send(a.app, 'GET', `/v1/events/${drop.eventId}/queue/me`, fan.accessToken),
      );
      return ticket.status === 'admitted';
    });
    const res = await reserve(fan.accessToken, drop, { 'Queue-Pass': ticket.pass as string });
    expect(res.status).toBe(201);
  });
});

describe('an event with neither gate', () => {
  it('joins and reserves as before, and shows both settings off', async () => {
    const drop = await gatedDrop({});
    expect(drop.event.presale).toEqual({ enabled: false, endsAt: null });
    expect(drop.event.botChallenge).toEqual({ enabled: false, difficulty: 100_000 });
    const fan = await signedInUser(a.app);
    expect((await reserve(fan.accessToken, drop)).status).toBe(201);
    const room = await gatedDrop({ waitingRoom: true, status: 'draft' });
    expect((await join(room.eventId, fan.accessToken)).status).toBe(201);
    const shown = await body(await send(a.app, 'GET', `/v1/events/${drop.eventId}`));
    expect(shown.presale).toEqual({ enabled: false, endsAt: null });
  });
});
