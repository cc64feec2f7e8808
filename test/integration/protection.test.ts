// Rate limits (in Redis, shared) and load shedding, through the real app.
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { buildTestApp } from '../helpers/app.js';
import { bearer, postJson, register, signedInUser } from '../helpers/auth.js';
import { eventually, REDIS_KEY_PREFIX, testConfig } from '../helpers/services.js';

type TestApp = Awaited<ReturnType<typeof buildTestApp>>;
const apps: TestApp[] = [];
afterAll(() => Promise.all(apps.map((a) => a.close())));

async function appWith(overrides: Record<string, string>) {
  const app = await buildTestApp(
    testConfig({
      BCRYPT_COST: '4',
      TRUST_PROXY: 'true',
      RATE_LIMIT_PER_IP: '0',
      RATE_LIMIT_PER_USER: '0',
      SHED_MAX_IN_FLIGHT: '0',
      SHED_MAX_EVENT_LOOP_DELAY_MS: '0',
      ...overrides,
    }),
  );
  apps.push(app);
  return app;
}

/** A client address of its own, so buckets never collide between tests. */
const freshIp = () =>
  `10.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}`;
const fromIp = (ip: string, extra: Record<string, string> = {}) => ({
  'X-Forwarded-For': ip,
  ...extra,
});

async function expectRateLimited(res: Response) {
  expect(res.status).toBe(429);
  const retryAfter = Number(res.headers.get('retry-after'));
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(await res.json()).toMatchObject({ code: 'rate_limited', status: 429 });
}

describe('rate limits', () => {
  // Limits are per second; each burst is sent at once so it lands in one window. A burst
  // straddling a window edge could pass twice the budget: the bounds leave room for that.
  it('limits requests per IP, per second, across the api', async () => {
    const { app } = await appWith({ RATE_LIMIT_PER_IP: '5' });
    const ip = freshIp();
    const burst = await Promise.all(
      Array.from({ length: 20 }, () => app.request('/v1/me', { headers: fromIp(ip) })),
    );
    const statuses = burst.map((r) => r.status);
    // Those let through reach the route (401: no token); the rest are refused.
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(10);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(10);
    await expectRateLimited(burst.find((r) => r.status === 429) as Response);
    // Another address has its own budget; operations endpoints are never limited.
    expect((await app.request('/v1/me', { headers: fromIp(freshIp()) })).status).toBe(401);
    expect((await app.request('/healthz', { headers: fromIp(ip) })).status).toBe(200);
  });

  it('limits requests per user whatever address they come from', async () => {
    const { app } = await appWith({ RATE_LIMIT_PER_USER: '3' });
    const user = await signedInUser(app);
    const burst = await Promise.all(
      Array.from({ length: 12 }, () =>
        app.request('/v1/me', { headers: fromIp(freshIp(), bearer(user.accessToken)) }),
      ),
    );
    const statuses = burst.map((r) => r.status);
    expect(statuses.filter((s) => s === 200).length).toBeLessThanOrEqual(6);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(6);
  });

  it('charges POST /v1/reservations more than other routes', async () => {
    // 8 points per second, a reserve costs 4: the third reserve attempt in a second is refused.
    const { app } = await appWith({ RATE_LIMIT_PER_USER: '8', RATE_LIMIT_RESERVE_COST: '4' });
    const user = await signedInUser(app);
    const reserve = () =>
      postJson(
        app,
        '/v1/reservations',
        { eventId: randomUUID(), categoryId: randomUUID(), quantity: 1 },
        fromIp(freshIp(), bearer(user.accessToken)),
      );
    const first = await reserve();
    const second = await reserve();
    const third = await reserve();
    expect(first.status).not.toBe(429);
    expect(second.status).not.toBe(429);
    await expectRateLimited(third);
  });

  it('is shared by every api instance through Redis', async () => {
    const a = await appWith({ RATE_LIMIT_PER_IP: '4' });
    const b = await appWith({ RATE_LIMIT_PER_IP: '4' });
    const ip = freshIp();
    const burst = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        (i % 2 === 0 ? a.app : b.app).request('/v1/me', { headers: fromIp(ip) }),
      ),
    );
    expect(burst.filter((r) => r.status === 429).length).toBeGreaterThanOrEqual(4);
    // Both instances counted into the one Redis key: more than either one sent.
    const counted = Number(await a.redis.get(`${REDIS_KEY_PREFIX}rl:ip:${ip}`));
    expect(counted).toBeGreaterThan(6);
  });

  it('guards logins per email + IP, even with limits off, and a success resets it', async () => {
    const { app } = await appWith({ LOGIN_FAILURES_PER_MINUTE: '3' });
    const user = await register(app);
    const ip = freshIp();
    const attempt = (password: string, from = ip) =>
      postJson(app, '/v1/auth/login', { email: user.email, password }, fromIp(from));

    for (let i = 0; i < 3; i++) expect((await attempt('wrong password')).status).toBe(401);
    // Locked for this email + IP, even with the right password.
    await expectRateLimited(await attempt('correct horse battery'));
    // The same email from elsewhere is not locked out by someone guessing.
    expect((await attempt('correct horse battery', freshIp())).status).toBe(200);

    const other = freshIp();
    expect((await attempt('wrong password', other)).status).toBe(401);
    expect((await attempt('wrong password', other)).status).toBe(401);
    expect((await attempt('correct horse battery', other)).status).toBe(200);
    // The success cleared the count: two more failures are still 401, not 429.
    expect((await attempt('wrong password', other)).status).toBe(401);
    expect((await attempt('wrong password', other)).status).toBe(401);
  });
});

describe('load shedding', () => {
  it('answers 503 overloaded at once when too many requests are in flight', async () => {
    const { app, opsUrl, metrics } = await appWith({ SHED_MAX_IN_FLIGHT: '4' });
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let entered = 0;
    app.get('/v1/test/held', async (c) => {
      entered += 1;
      await gate;
      return c.text('done');
    });

    const pending = Array.from({ length: 4 }, () => app.request('/v1/test/held'));
    await eventually(async () => entered === 4, { what: '4 requests in flight' });
    const shed = await Promise.all(Array.from({ length: 6 }, () => app.request('/v1/test/held')));
    for (const res of shed) {
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('1');
      expect(((await res.json()) as { code: string }).code).toBe('overloaded');
    }
    // Operators still get through while the product routes shed.
    expect((await app.request('/healthz')).status).toBe(200);
    expect((await fetch(`${opsUrl}/metrics`)).status).toBe(200);

    release();
    expect((await Promise.all(pending)).map((r) => r.status)).toEqual([200, 200, 200, 200]);
    expect((await app.request('/v1/test/held')).status).toBe(200);
    expect(await metrics()).toMatch(/api_shed_total\{reason="in_flight",service="api"\} 6/);
  });

  it('answers 503 overloaded while the event loop lags, and recovers', async () => {
    const { app } = await appWith({ SHED_MAX_EVENT_LOOP_DELAY_MS: '100' });
    expect((await app.request('/v1/me')).status).toBe(401);
    // Saturate: block the event loop for 300 ms, as a CPU-bound overload would.
    const until = performance.now() + 300;
    while (performance.now() < until) {
      // busy
    }
    // The lag sampler (a timer, overdue now) sees the stall on its next tick.
    let shed: Response | undefined;
    await eventually(
      async () => {
        const res = await app.request('/v1/me');
        if (res.status === 503) shed = res;
        return res.status === 503;
      },
      { timeoutMs: 1000, intervalMs: 5, what: 'shedding after the stall' },
    );
    const refusal = shed as Response;
    expect(refusal.headers.get('retry-after')).toBe('1');
    expect(((await refusal.json()) as { code: string }).code).toBe('overloaded');
    await eventually(async () => (await app.request('/v1/me')).status === 401, {
      timeoutMs: 2000,
      what: 'shedding stops once the loop keeps up',
    });
  });
});
