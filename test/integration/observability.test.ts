// Observability against the real processes: after traffic through the api, every metric
// the Grafana dashboards and the Prometheus rules query is exported by api, worker or
// reaper; request logs carry what operators need and never a secret.
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { type RunningProcess, runEntry, terminate } from '../helpers/processes.js';
import { eventually, freePort } from '../helpers/services.js';

const ADMIN = { email: `ops-${randomUUID()}@example.test`, password: 'ops admin password 9' };
const JWT_SECRET = `observability-test-secret-${randomUUID()}`;
const PASSWORD = 'a fan password that must never be logged';
let api: RunningProcess;
let worker: RunningProcess;
let reaper: RunningProcess;
const ports = { api: 0, worker: 0, reaper: 0 };
/** The ops ports: /metrics of each process. */
const opsPorts = { api: 0, worker: 0, reaper: 0 };
const base = () => `http://127.0.0.1:${ports.api}`;
const secrets: string[] = [PASSWORD, ADMIN.password, JWT_SECRET];

async function call(method: string, path: string, token?: string, body?: unknown) {
  const res = await fetch(`${base()}${path}`, {
    method,
    headers: {
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

beforeAll(async () => {
  [ports.api, ports.worker, ports.reaper, opsPorts.api] = await Promise.all([
    freePort(),
    freePort(),
    freePort(),
    freePort(),
  ]);
  opsPorts.worker = ports.worker;
  opsPorts.reaper = ports.reaper;
  const env = {
    PORT: String(ports.api),
    API_METRICS_PORT: String(opsPorts.api),
    WORKER_METRICS_PORT: String(ports.worker),
    REAPER_METRICS_PORT: String(ports.reaper),
    ADMIN_EMAIL: ADMIN.email,
    ADMIN_PASSWORD: ADMIN.password,
    JWT_SECRET,
    BCRYPT_COST: '4',
    LOG_LEVEL: 'debug',
  };
  api = runEntry('api/main.ts', env);
  worker = runEntry('worker/main.ts', env);
  reaper = runEntry('reaper/main.ts', env);
  for (const port of Object.values(ports)) {
    await eventually(async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).ok, {
      timeoutMs: 45_000,
      intervalMs: 100,
      what: `readyz on ${port}`,
    });
  }

  // Traffic that touches every part: auth, admin, a drop, the pipeline, the catalog.
  const email = `fan-${randomUUID()}@example.test`;
  await call('POST', '/v1/auth/register', undefined, { email, password: PASSWORD });
  const fan = (await call('POST', '/v1/auth/login', undefined, { email, password: PASSWORD })).json;
  const rotated = (
    await call('POST', '/v1/auth/refresh', undefined, { refreshToken: fan.refreshToken })
  ).json;
  secrets.push(
    fan.accessToken as string,
    fan.refreshToken as string,
    rotated.refreshToken as string,
  );
  const token = rotated.accessToken as string;
  await call('POST', '/v1/auth/login', undefined, { email, password: 'wrong password' });
  const admin = (await call('POST', '/v1/auth/login', undefined, ADMIN)).json.accessToken as string;
  secrets.push(admin);
  const event = (
    await call('POST', '/v1/admin/events', admin, {
      name: 'Observed Drop',
      venue: 'Hall',
      startsAt: new Date(Date.now() + 86_400_000).toISOString(),
      status: 'on_sale',
    })
  ).json;
  const category = (
    await call('POST', `/v1/admin/events/${event.id}/categories`, admin, {
      name: 'GA',
      priceCents: 100,
      capacity: 5,
    })
  ).json;
  const drop = { eventId: event.id, categoryId: category.id };
  const held = (await call('POST', '/v1/reservations', token, { ...drop, quantity: 2 })).json;
  await call('POST', `/v1/reservations/${held.id}/confirm`, token, {});
  const second = (await call('POST', '/v1/reservations', token, { ...drop, quantity: 1 })).json;
  await call('DELETE', `/v1/reservations/${second.id}`, token);
  await call('POST', '/v1/reservations', token, { ...drop, quantity: 10 });
  await call('GET', `/v1/events/${event.id}`);
  await call('GET', `/v1/events/${event.id}`);
  await call('GET', `/v1/events/${event.id}/availability`);
  await call('GET', '/v1/me/reservations', token);
  await call('GET', `/v1/reservations/${randomUUID()}`, token);
  // The pipeline carried it to Postgres (a release only comes that way; a confirmation is
  // written by the api itself).
  await eventually(
    async () =>
      ((await call('GET', '/v1/me/reservations?status=released', token)).json.items as unknown[])
        ?.length === 1,
    { timeoutMs: 15_000, what: 'the release persisted' },
  );
}, 120_000);

afterAll(async () => {
  for (const p of [api, worker, reaper])
    if (p) await terminate(p).catch(() => p.child.kill('SIGKILL'));
});

/** Metric names a PromQL expression reads (functions, labels, ranges and strings removed). */
function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"[^"]*"/g, ' ')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const notMetrics = new Set([
    'sum',
    'max',
    'min',
    'avg',
    'count',
    'rate',
    'irate',
    'increase',
    'histogram_quantile',
    'or',
    'and',
    'unless',
    'vector',
    'abs',
    'up',
  ]);
  return [...stripped.matchAll(/[a-zA-Z_][a-zA-Z0-9_:]*/g)]
    .map((m) => m[0])
    .filter((name) => !notMetrics.has(name) && !name.includes(':'));
}

const dashboardExprs = () =>
  readdirSync('grafana/dashboards')
    .filter((f) => f.endsWith('.json'))
    .flatMap((f) => {
      const d = JSON.parse(readFileSync(`grafana/dashboards/${f}`, 'utf8')) as {
        panels: { targets: { expr: string }[] }[];
      };
      return d.panels.flatMap((p) =>
        p.targets.map((t) => ({ where: `${f}: ${t.expr}`, expr: t.expr })),
      );
    });

const ruleExprs = () => {
  const rules = parseYaml(readFileSync('prometheus/rules.yml', 'utf8')) as {
    groups: { rules: { expr: string }[] }[];
  };
  return rules.groups.flatMap((g) =>
    g.rules.map((r) => ({ where: `rules.yml: ${r.expr}`, expr: String(r.expr) })),
  );
};

describe('metrics behind the dashboards and rules', () => {
  it('every metric a dashboard or rule queries is exported by api, worker or reaper', async () => {
    const scraped = (
      await Promise.all(
        Object.values(opsPorts).map(async (p) =>
          (await fetch(`http://127.0.0.1:${p}/metrics`)).text(),
        ),
      )
    ).join('\n');
    const exported = new Set([...scraped.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]));
    const exprs = [...dashboardExprs(), ...ruleExprs()];
    expect(exprs.length).toBeGreaterThan(20);
    const dashboards = readdirSync('grafana/dashboards').map(
      (f) => JSON.parse(readFileSync(`grafana/dashboards/${f}`, 'utf8')).title,
    );
    expect(dashboards).toEqual(expect.arrayContaining(['API', 'Drop', 'Pipeline']));
    const missing: string[] = [];
    for (const { where, expr } of exprs) {
      for (const name of metricNames(expr)) {
        const base = name.replace(/_(bucket|count|sum)$/, '');
        if (!exported.has(base) && !exported.has(name)) missing.push(`${name} (${where})`);
      }
    }
    expect(missing).toEqual([]);
    // And they carry data from the traffic above, not only their HELP lines.
    const value = (name: string, labels: Record<string, string> = {}) => {
      const want = Object.entries(labels)
        .map(([k, v]) => `(?=[^}]*${k}="${v}")`)
        .join('');
      const m = new RegExp(`^${name}(?:\\{${want}[^}]*\\})? (\\S+)$`, 'm').exec(scraped);
      return m ? Number(m[1]) : undefined;
    };
    expect(value('reservation_outcomes_total', { operation: 'reserve', result: 'sold_out' })).toBe(
      1,
    );
    expect(value('reservation_outcomes_total', { operation: 'confirm', result: 'ok' })).toBe(1);
    expect(value('reservation_outcomes_total', { operation: 'release', result: 'ok' })).toBe(1);
    expect(value('redis_script_duration_seconds_count', { script: 'reserve' })).toBe(3);
    expect(value('stock_available', { category: 'GA' })).toBeGreaterThanOrEqual(0);
    expect(value('persister_messages_total', { service: 'worker' })).toBeGreaterThan(0);
    expect(value('kafka_consumer_lag', { group: '[^"]*persister' })).toBeGreaterThanOrEqual(0);
    expect(value('relay_published_total', { service: 'reaper' })).toBeGreaterThan(0);
    expect(
      value('http_requests_total', { route: '/v1/reservations/:id/confirm', status_class: '2xx' }),
    ).toBe(1);
    // Route patterns only: no raw ids in labels.
    expect(scraped).not.toMatch(/route="[^"]*[0-9a-f]{8}-[0-9a-f]{4}-/);
  });
});

describe('logs', () => {
  it('are JSON lines with request id, user id, route, status and duration, and never a secret', () => {
    const lines = api
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{'));
    expect(lines.length).toBeGreaterThan(10);
    const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const confirm = records.find((r) => r.route === '/v1/reservations/:id/confirm');
    expect(confirm).toMatchObject({
      service: 'api',
      method: 'POST',
      status: 200,
      reqId: expect.stringMatching(/^[0-9a-z]+-[0-9a-z]+$/),
      userId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      durationMs: expect.any(Number),
    });
    const everything = [api, worker, reaper].map((p) => p.output()).join('\n');
    for (const secret of secrets) {
      expect(secret.length).toBeGreaterThan(8);
      expect(everything.includes(secret), `a secret (${secret.slice(0, 6)}…) is in the logs`).toBe(
        false,
      );
    }
    expect(everything).not.toMatch(/Bearer [\w-]+\.[\w-]+\.[\w-]+/);
  });
});
