// The catalog against real Postgres and Redis: search filters and pages, the two-level
// cache and its invalidation across instances, the status machine, comments and ratings.
import { randomUUID } from 'node:crypto';
import { Cluster } from 'ioredis';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCatalogCache } from '../../core/catalog/cache.js';
import { canMove } from '../../core/catalog/status.js';
import { EVENT_STATUSES, type EventStatus } from '../../drizzle/schema/index.js';
import { createLogger } from '../../platform/logger.js';
import { buildTestApp } from '../helpers/app.js';
import { signedInUser } from '../helpers/auth.js';
import { adminToken, body, createDrop, type Json, send } from '../helpers/drop.js';
import { eventually, functionalConfig, testRedis } from '../helpers/services.js';

type TestApp = Awaited<ReturnType<typeof buildTestApp>>;
type RedisNode = ReturnType<Cluster['nodes']>[number];
let a: TestApp;
let b: TestApp;
let admin: string;
const config = functionalConfig();

beforeAll(async () => {
  // Two api instances sharing Redis and Postgres, as in production.
  [a, b] = await Promise.all([buildTestApp(config), buildTestApp(config)]);
  admin = await adminToken(a);
});
afterAll(async () => {
  await a?.close();
  await b?.close();
});

const day = 86_400_000;
const base = Date.UTC(2031, 0, 1);

/** Events named `<token> <name>` so a search for the token sees only this test's. */
async function seed(token: string, specs: { name: string; status?: EventStatus; day: number }[]) {
  const ids: string[] = [];
  for (const s of specs) {
    const res = await send(a.app, 'POST', '/v1/admin/events', admin, {
      name: `${token} ${s.name}`,
      venue: 'Hall',
      startsAt: new Date(base + s.day * day).toISOString(),
      status:
        s.status === 'closed' || s.status === 'cancelled' ? 'on_sale' : (s.status ?? 'on_sale'),
    });
    const id = (await body(res)).id as string;
    expect(res.headers.get('location')).toBe(`/v1/events/${id}`);
    if (s.status === 'closed' || s.status === 'cancelled') {
      await send(a.app, 'PATCH', `/v1/admin/events/${id}`, admin, { status: s.status });
    }
    ids.push(id);
  }
  return ids;
}

const names = (page: Json) =>
  (page.items as { name: string }[]).map((e) => e.name.split(' ').slice(1).join(' '));

describe('search', () => {
  const token = `zq${randomUUID().slice(0, 8)}`;
  beforeAll(async () => {
    await seed(token, [
      { name: 'Rock Night', day: 1 },
      { name: 'rock matinee', day: 2, status: 'paused' },
      { name: 'Jazz Brunch', day: 3 },
      { name: 'Secret Rock Draft', day: 4, status: 'draft' },
      { name: 'Old Rock', day: 5, status: 'closed' },
      { name: 'Folk 100%_done', day: 6 },
    ]);
  });
  const find = async (query: string, token_ = token, as?: string) =>
    body(await send(a.app, 'GET', `/v1/events?q=${token_}${query}`, as));

  it('matches the name case-insensitively and orders by start', async () => {
    expect(names(await find(''))).toEqual([
      'Rock Night',
      'rock matinee',
      'Jazz Brunch',
      'Old Rock',
      'Folk 100%_done',
    ]);
    expect(names(await find('', `${token.toUpperCase()}%20ROCK`))).toEqual([
      'Rock Night',
      'rock matinee',
    ]);
    // LIKE's own wildcards are matched literally.
    expect(names(await find('', `${token}%20folk%20100%25_`))).toEqual(['Folk 100%_done']);
    expect(names(await find('', `${token}%20folk%20100_`))).toEqual([]);
  });

  it('filters by status and start, alone and together; drafts only for admins', async () => {
    expect(names(await find('&status=paused'))).toEqual(['rock matinee']);
    expect(names(await find('&status=draft'))).toEqual([]);
    expect(names(await find('&status=draft', token, admin))).toEqual(['Secret Rock Draft']);
    expect(names(await find('', token, admin))).toHaveLength(6);
    const from = new Date(base + 2 * day).toISOString();
    const to = new Date(base + 5 * day).toISOString();
    expect(names(await find(`&from=${from}`))).toEqual([
      'rock matinee',
      'Jazz Brunch',
      'Old Rock',
      'Folk 100%_done',
    ]);
    expect(names(await find(`&to=${to}`))).toEqual([
      'Rock Night',
      'rock matinee',
      'Jazz Brunch',
      'Old Rock',
    ]);
    expect(names(await find(`&from=${from}&to=${to}&status=on_sale`))).toEqual(['Jazz Brunch']);
    expect(names(await find(`%20rock&from=${from}&to=${to}`))).toEqual(['rock matinee']);
    expect(names(await find(`&from=${from}&to=${to}&status=closed`))).toEqual(['Old Rock']);
  });

  it('answers invalid filters with 400 naming the parameter', async () => {
    for (const [query, field] of [
      ['status=sold', 'status'],
      ['from=yesterday', 'from'],
      ['to=2031-13-01', 'to'],
      ['limit=0', 'limit'],
      ['limit=101', 'limit'],
      ['cursor=not-ours', 'cursor'],
    ]) {
      const res = await send(a.app, 'GET', `/v1/events?${query}`);
      expect(res.status, query).toBe(400);
      const errors = (await body(res)).errors as { in: string; field: string }[];
      expect(
        errors.map((e) => `${e.in}:${e.field}`),
        query,
      ).toContain(`query:${field}`);
    }
  });

  it('pages visit every event exactly once while events are being added', async () => {
    const pageToken = `pg${randomUUID().slice(0, 8)}`;
    const original = await seed(
      pageToken,
      Array.from({ length: 30 }, (_, i) => ({ name: `e${i}`, day: 10 + ((i * 7) % 30) })),
    );
    const seen: string[] = [];
    let cursor: string | null = null;
    let inserted = 0;
    do {
      const p: Json = await body(
        await send(
          a.app,
          'GET',
          `/v1/events?q=${pageToken}&limit=7${cursor ? `&cursor=${cursor}` : ''}`,
        ),
      );
      seen.push(...(p.items as { id: string }[]).map((e) => e.id));
      cursor = p.nextCursor as string | null;
      // New events land before, inside and after the pages already read.
      await seed(pageToken, [{ name: `new${inserted++}`, day: 9 + ((inserted * 11) % 32) }]);
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    for (const id of original) expect(seen.filter((s) => s === id)).toHaveLength(1);
  });
});

describe('two-level cache', () => {
  it('keeps its version when an older invalidation arrives late (a cluster may reorder them)', async () => {
    const [redis, subscriber] = await Promise.all([testRedis(), testRedis()]);
    const prefix = `cache-${randomUUID().slice(0, 8)}:`;
    const cache = createCatalogCache(
      redis,
      subscriber,
      new Registry(),
      createLogger(config, 'test'),
      {
        prefix,
        localTtlMs: 60_000,
        sharedTtlMs: 60_000,
      },
    );
    try {
      await cache.ready;
      // Messages on one subscriber connection are handed over in order: once the barrier is
      // heard, the cache has heard what was published before it (through the same node).
      const barrier = `${prefix}barrier`;
      await subscriber.subscribe(barrier);
      const publisher = redis instanceof Cluster ? (redis.nodes('master')[0] as RedisNode) : redis;
      const publishThenBarrier = async (version: string) => {
        const heard = new Promise<void>((resolve) =>
          subscriber.on('message', (channel: string) => channel === barrier && resolve()),
        );
        await publisher.publish(`${prefix}catalog:invalidate`, version);
        await publisher.publish(barrier, version);
        await heard;
      };
      let loads = 0;
      const read = () => cache.get('k', async () => ++loads);

      await cache.invalidate();
      expect(await read()).toBe(1);
      const newest = await redis.incrby(`${prefix}catalog:version`, 9);
      await publishThenBarrier(String(newest));
      expect(await read()).toBe(2);
      // A stale message after the newer one: ignored, the entry of the newest version stays.
      await publishThenBarrier(String(newest - 5));
      expect(await read()).toBe(2);
    } finally {
      await cache.close();
      redis.disconnect();
    }
  });

  it('shows an admin edit at once on this instance and within a second on the other', async () => {
    const { eventId } = await createDrop(a.app, admin);
    const detail = async (app: TestApp) =>
      (await body(await send(app.app, 'GET', `/v1/events/${eventId}`))).name;
    const original = await detail(a);
    expect(await detail(a)).toBe(original);
    expect(await detail(b)).toBe(original);
    // Both are cached now; an edit through A.
    expect(
      (await send(a.app, 'PATCH', `/v1/admin/events/${eventId}`, admin, { name: 'Renamed Live' }))
        .status,
    ).toBe(200);
    expect(await detail(a)).toBe('Renamed Live');
    const started = Date.now();
    await eventually(async () => (await detail(b)) === 'Renamed Live', {
      timeoutMs: 1000,
      intervalMs: 10,
      what: 'instance B sees the edit',
    });
    expect(Date.now() - started).toBeLessThan(1000);

    const metrics = await a.metrics();
    expect(metrics).toMatch(
      /catalog_cache_lookups_total\{level="local",result="hit",service="api"\} [1-9]/,
    );
    expect(metrics).toMatch(
      /catalog_cache_lookups_total\{level="redis",result="miss",service="api"\} [1-9]/,
    );
  });

  it('serves a second instance from Redis, not Postgres', async () => {
    const { eventId } = await createDrop(a.app, admin);
    await send(a.app, 'GET', `/v1/events/${eventId}`);
    const redisHits = async () =>
      Number(
        /catalog_cache_lookups_total\{level="redis",result="hit",service="api"\} (\d+)/.exec(
          await b.metrics(),
        )?.[1] ?? 0,
      );
    // Once B has heard of the catalog's last version (pub/sub: on a cluster it crosses the
    // cluster bus), its read is A's entry in Redis.
    await eventually(
      async () => {
        const before = await redisHits();
        await send(b.app, 'GET', `/v1/events/${eventId}`);
        return (await redisHits()) === before + 1;
      },
      { timeoutMs: 3000, intervalMs: 50, what: 'B served from Redis' },
    );
  });
});

describe('status machine', () => {
  it('allows exactly the moves of SPEC §2', () => {
    const allowed: Record<EventStatus, EventStatus[]> = {
      draft: ['draft', 'on_sale', 'cancelled'],
      on_sale: ['on_sale', 'paused', 'closed', 'cancelled'],
      paused: ['paused', 'on_sale', 'closed', 'cancelled'],
      closed: ['closed'],
      cancelled: ['cancelled'],
    };
    for (const from of EVENT_STATUSES) {
      for (const to of EVENT_STATUSES)
        expect(canMove(from, to), `${from} → ${to}`).toBe(allowed[from].includes(to));
    }
  });
});

describe('deleting events', () => {
  it('deletes an event without reservations, refuses one with', async () => {
    const empty = await createDrop(a.app, admin);
    expect((await send(a.app, 'DELETE', `/v1/admin/events/${empty.eventId}`, admin)).status).toBe(
      204,
    );
    expect((await send(a.app, 'GET', `/v1/events/${empty.eventId}`)).status).toBe(404);
    expect((await send(a.app, 'GET', `/v1/events/${empty.eventId}/availability`)).status).toBe(404);
    // Gone, not lost to a Redis crash: a reserve on it is 404, not 503 "being checked".
    const fan = await signedInUser(a.app);
    const late = await send(a.app, 'POST', '/v1/reservations', fan.accessToken, {
      ...empty,
      quantity: 1,
    });
    expect(late.status).toBe(404);

    const sold = await createDrop(a.app, admin);
    const user = await signedInUser(a.app);
    await send(a.app, 'POST', '/v1/reservations', user.accessToken, { ...sold, quantity: 1 });
    const refused = await send(a.app, 'DELETE', `/v1/admin/events/${sold.eventId}`, admin);
    expect(refused.status).toBe(409);
    expect((await body(refused)).code).toBe('has_reservations');
    // Refusing changed nothing: still on sale.
    expect(
      (await send(a.app, 'POST', '/v1/reservations', user.accessToken, { ...sold, quantity: 1 }))
        .status,
    ).toBe(201);
    expect((await send(a.app, 'DELETE', `/v1/admin/events/${randomUUID()}`, admin)).status).toBe(
      404,
    );
  });
});

describe('comments and ratings', () => {
  it('validates, stores one rating per user, pages newest first, and keeps the average', async () => {
    const { eventId } = await createDrop(a.app, admin);
    const path = `/v1/events/${eventId}/comments`;
    const [ann, bob] = await Promise.all([signedInUser(a.app), signedInUser(a.app)]);

    for (const bad of [
      { rating: 0, text: 'x' },
      { rating: 6, text: 'x' },
      { rating: 2.5, text: 'x' },
      { rating: 3, text: '' },
      { rating: 3, text: 'x'.repeat(2001) },
      { text: 'x' },
    ]) {
      const res = await send(a.app, 'POST', path, ann.accessToken, bad);
      expect(res.status, JSON.stringify(bad).slice(0, 40)).toBe(400);
    }
    expect((await send(a.app, 'POST', path, undefined, { rating: 3, text: 'x' })).status).toBe(401);

    const script = '<script>alert("x")</script> & <b>bold</b>';
    const first = await send(a.app, 'POST', path, ann.accessToken, { rating: 2, text: script });
    expect(first.status).toBe(201);
    expect(first.headers.get('content-type')).toContain('application/json');
    expect((await body(first)).text).toBe(script);
    const replaced = await send(a.app, 'POST', path, ann.accessToken, {
      rating: 4,
      text: 'changed my mind',
    });
    expect(replaced.status).toBe(200);
    await send(a.app, 'POST', path, bob.accessToken, { rating: 5, text: 'great' });

    const event = await body(await send(a.app, 'GET', `/v1/events/${eventId}`));
    expect(event).toMatchObject({ ratingCount: 2, ratingAverage: 4.5 });
    const listed = await body(await send(a.app, 'GET', `${path}?limit=1`));
    expect((listed.items as { text: string }[]).map((c) => c.text)).toEqual(['great']);
    const next = await body(
      await send(a.app, 'GET', `${path}?limit=1&cursor=${listed.nextCursor}`),
    );
    expect((next.items as { text: string }[]).map((c) => c.text)).toEqual(['changed my mind']);
    expect(next.nextCursor).toBeNull();

    const bobsId = (listed.items as { id: string }[])[0]?.id;
    expect((await send(a.app, 'DELETE', `${path}/${bobsId}`, ann.accessToken)).status).toBe(404);
    const annsId = (next.items as { id: string }[])[0]?.id;
    expect((await send(a.app, 'DELETE', `${path}/${annsId}`, ann.accessToken)).status).toBe(204);
    expect((await send(a.app, 'DELETE', `${path}/${bobsId}`, admin)).status).toBe(204);
    expect(await body(await send(a.app, 'GET', `/v1/events/${eventId}`))).toMatchObject({
      ratingCount: 0,
      ratingAverage: null,
    });
  });
});
