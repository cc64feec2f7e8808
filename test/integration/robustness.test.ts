// No input yields a 500, and the guards cannot be outrun: what a fuzzer (npm run
// test:fuzz) and an attacker found, pinned down. Dates outside years 2000..2200, NUL
// characters and crafted cursors are refused with 400; a unique conflict is 409; a bad row
// from before those rules never takes a public read down; an unsupported method is 405;
// parallel wrong passwords are held to LOGIN_FAILURES_PER_MINUTE, and bcrypt work is
// bounded.
import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorkLimiter, PasswordWorkBusy } from '../../core/auth/passwords.js';
import { buildTestApp } from '../helpers/app.js';
import { postJson, register, signedInUser, uniqueEmail } from '../helpers/auth.js';
import { adminToken, createDrop, type Json, send } from '../helpers/drop.js';
import { functionalConfig } from '../helpers/services.js';

type TestApp = Awaited<ReturnType<typeof buildTestApp>>;
let ctx: TestApp;
let admin: string;
const apps: TestApp[] = [];

beforeAll(async () => {
  ctx = await buildTestApp(functionalConfig({ TRUST_PROXY: 'true' }));
  apps.push(ctx);
  admin = await adminToken(ctx);
});
afterAll(() => Promise.all(apps.map((a) => a.close())));

const problem = async (res: Response) => (await res.json()) as Json & { code: string };
const tag = () => randomUUID().slice(0, 8);
const event = (overrides: Json = {}) => ({
  name: `Robust ${tag()}`,
  venue: 'Hall',
  startsAt: '2030-06-01T19:00:00Z',
  ...overrides,
});

async function expect400(res: Response, field?: string) {
  expect(res.status).toBe(400);
  const body = await problem(res);
  expect(body.code).toBe('validation_failed');
  if (field) expect((body.errors as { field: string }[]).map((e) => e.field)).toContain(field);
}

describe('dates', () => {
  it('refuses an event outside the years 2000..2200, and stores nothing', async () => {
    for (const [field, value] of [
      ['startsAt', '0020-01-01T00:00:00Z'],
      ['startsAt', '1999-12-31T23:00:00Z'],
      ['startsAt', '2201-01-01T00:00:00Z'],
      ['endsAt', '9999-12-31T23:59:59Z'],
    ] as const) {
      const body = event({ [field]: value });
      await expect400(await send(ctx.app, 'POST', '/v1/admin/events', admin, body), field);
      const rows = await ctx.sql`select 1 from events where name = ${body.name as string}`;
      expect(rows).toHaveLength(0);
    }
    const { eventId } = await createDrop(ctx.app, admin);
    await expect400(
      await send(ctx.app, 'PATCH', `/v1/admin/events/${eventId}`, admin, {
        startsAt: '0020-01-01T00:00:00Z',
      }),
      'startsAt',
    );
  });

  it('refuses an end before the start: 400 in one body, 409 against the stored time', async () => {
    const offset = event({ startsAt: '2031-01-01T10:00:00+05:00', endsAt: '2031-01-01T06:00:00Z' });
    // 05:00Z is before 06:00Z, though the text sorts the other way.
    expect((await send(ctx.app, 'POST', '/v1/admin/events', admin, offset)).status).toBe(201);
    const backwards = event({
      startsAt: '2031-01-01T10:00:00Z',
      endsAt: '2031-01-01T12:00:00+05:00',
    });
    await expect400(await send(ctx.app, 'POST', '/v1/admin/events', admin, backwards), 'endsAt');
    const { eventId } = await createDrop(ctx.app, admin);
    const path = `/v1/admin/events/${eventId}`;
    await expect400(
      await send(ctx.app, 'PATCH', path, admin, {
        startsAt: '2031-01-01T10:00:00Z',
        endsAt: '2031-01-01T09:00:00Z',
      }),
      'endsAt',
    );
    const conflict = await send(ctx.app, 'PATCH', path, admin, { endsAt: '2000-01-01T00:00:00Z' });
    expect(conflict.status).toBe(409);
    expect(((await conflict.json()) as { code: string }).code).toBe('invalid_state');
  });

  it('refuses search bounds outside them; a cursor outside them reads as its bound', async () => {
    await expect400(await ctx.app.request('/v1/events?to=0000-01-01T00:00:00Z'), 'to');
    await expect400(await ctx.app.request('/v1/events?from=9999-01-01T00:00:00Z'), 'from');
    await expect400(await ctx.app.request('/v1/events?cursor=not%20ours!'), 'cursor');
    // Any cursor the document's pattern admits names a position (issue 31): the earliest
    // and the latest ones give pages, the first one everything there is.
    for (const ms of ['0', '999999999999999']) {
      const res = await ctx.app.request(`/v1/events?cursor=${ms}.${randomUUID()}`);
      expect(res.status, ms).toBe(200);
    }
  });
});

describe('characters Postgres refuses', () => {
  it('refuses NUL in names, text, comments and search with 400', async () => {
    const { eventId } = await createDrop(ctx.app, admin);
    const user = await signedInUser(ctx.app);
    await expect400(
      await send(ctx.app, 'POST', '/v1/admin/events', admin, event({ name: 'Nul\u0000Fest' })),
      'name',
    );
    await expect400(
      await send(ctx.app, 'POST', '/v1/admin/events', admin, event({ description: 'a\u0000b' })),
      'description',
    );
    await expect400(
      await send(ctx.app, 'POST', `/v1/admin/events/${eventId}/categories`, admin, {
        name: 'V\u0000IP',
        priceCents: 1,
        capacity: 1,
      }),
      'name',
    );
    await expect400(
      await send(ctx.app, 'POST', `/v1/events/${eventId}/comments`, user.accessToken, {
        rating: 5,
        text: 'great\u0000show',
      }),
      'text',
    );
    await expect400(await ctx.app.request('/v1/events?q=rock%00'), 'q');
  });
});

describe('conflicts', () => {
  it('renaming a category to a name the event has is 409, not 500', async () => {
    const { eventId, categoryId } = await createDrop(ctx.app, admin);
    const other = await send(ctx.app, 'POST', `/v1/admin/events/${eventId}/categories`, admin, {
      name: 'Balcony',
      priceCents: 1,
      capacity: 1,
    });
    expect(other.status).toBe(201);
    const res = await send(
      ctx.app,
      'PATCH',
      `/v1/admin/events/${eventId}/categories/${categoryId}`,
      admin,
      { name: 'Balcony' },
    );
    expect(res.status).toBe(409);
    expect((await problem(res)).code).toBe('invalid_state');
  });
});

describe('a bad row', () => {
  it('from before the date rules never takes the public reads down', async () => {
    const name = `Ancient ${tag()}`;
    const [bad] = await ctx.sql<{ id: string }[]>`
      insert into events (name, venue, starts_at, status)
      values (${name}, 'Forum', '0020-01-01T00:00:00Z', 'on_sale') returning id`;
    try {
      const good = await send(ctx.app, 'POST', '/v1/admin/events', admin, {
        ...event({ name: `${name} revival` }),
        status: 'on_sale',
      });
      expect(good.status).toBe(201);
      const page = await ctx.app.request(`/v1/events?q=${encodeURIComponent(name)}`);
      expect(page.status).toBe(200);
      const { items } = (await page.json()) as { items: { name: string }[] };
      expect(items.map((e) => e.name)).toEqual([`${name} revival`]);
      expect((await ctx.app.request(`/v1/events/${bad?.id}`)).status).toBe(404);
    } finally {
      await ctx.sql`delete from events where id = ${bad?.id as string}`;
    }
  });
});

/** Any method, TRACE included (fetch refuses to send that one). */
function raw(method: string, path: string) {
  return new Promise<{ status: number; allow?: string; body: string }>((resolve, reject) => {
    const req = request(new URL(path, ctx.baseUrl), { method }, (res) => {
      let body = '';
      res.on('data', (d) => {
        body += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, allow: res.headers.allow, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('methods', () => {
  it('answers a method a known path lacks with 405 and Allow; OPTIONS lists them', async () => {
    for (const [method, path, allow] of [
      ['TRACE', '/healthz', 'GET, HEAD'],
      ['TRACE', '/v1/events', 'GET, HEAD'],
      ['PUT', '/v1/auth/login', 'POST'],
      ['PATCH', `/v1/events/${randomUUID()}`, 'GET, HEAD'],
      ['TRACE', `/v1/admin/events/${randomUUID()}`, 'PATCH, DELETE'],
    ] as const) {
      const res = await raw(method, path);
      expect(res.status, `${method} ${path}`).toBe(405);
      expect(res.allow).toBe(allow);
      expect(JSON.parse(res.body).code).toBe('method_not_allowed');
    }
    const options = await raw('OPTIONS', '/v1/events');
    expect(options.status).toBe(204);
    expect(options.allow).toBe('GET, HEAD');
    expect((await raw('TRACE', '/v1/no-such-thing')).status).toBe(404);
  });
});

describe('the login guard', () => {
  it('holds 60 parallel wrong passwords for one email + IP to LOGIN_FAILURES_PER_MINUTE', async () => {
    const app = await buildTestApp(
      functionalConfig({ TRUST_PROXY: 'true', LOGIN_FAILURES_PER_MINUTE: '10' }),
    );
    apps.push(app);
    const user = await register(app.app);
    const ip = `10.9.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}`;
    const guesses = await Promise.all(
      Array.from({ length: 60 }, () =>
        postJson(
          app.app,
          '/v1/auth/login',
          { email: user.email, password: 'wrong password' },
          { 'X-Forwarded-For': ip },
        ),
      ),
    );
    const statuses = guesses.map((r) => r.status);
    expect(statuses.filter((s) => s === 401)).toHaveLength(10);
    expect(statuses.filter((s) => s === 429)).toHaveLength(50);
    const refused = guesses.find((r) => r.status === 429) as Response;
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // Only the ten counted reached bcrypt: the failed logins in the audit log.
    const audit = await app.sql`
      select count(*)::int as n from audit_log where action = 'auth.login_failed' and target_id = ${user.id}`;
    expect(audit[0]?.n).toBe(10);
  });

  it('bounds bcrypt work: a few at once, a bounded queue, the rest refused at once', async () => {
    const limiter = createWorkLimiter({ concurrency: 2, maxQueue: 5 });
    let running = 0;
    let peak = 0;
    const task = async () => {
      running += 1;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, 20));
      running -= 1;
    };
    const results = await Promise.allSettled(Array.from({ length: 20 }, () => limiter.run(task)));
    expect(peak).toBe(2);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(7);
    const rejected = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
    expect(rejected).toHaveLength(13);
    expect(rejected.every((r) => r.reason instanceof PasswordWorkBusy)).toBe(true);
    expect(limiter.running).toBe(0);

    // Through the api: sign-ups past the queue are 503 overloaded with Retry-After.
    const app = await buildTestApp(
      functionalConfig({ BCRYPT_COST: '8', BCRYPT_CONCURRENCY: '1', BCRYPT_MAX_QUEUE: '1' }),
    );
    apps.push(app);
    const signUps = await Promise.all(
      Array.from({ length: 8 }, () =>
        postJson(app.app, '/v1/auth/register', {
          email: uniqueEmail('busy'),
          password: 'correct horse battery',
        }),
      ),
    );
    const statuses = signUps.map((r) => r.status);
    expect(statuses.filter((s) => s === 201).length).toBeGreaterThanOrEqual(2);
    const busy = signUps.filter((r) => r.status === 503);
    expect(busy.length).toBeGreaterThan(0);
    expect(busy[0]?.headers.get('retry-after')).toBe('1');
    expect((await problem(busy[0] as Response)).code).toBe('overloaded');
    expect(statuses.every((s) => s === 201 || s === 503)).toBe(true);
  });
});
