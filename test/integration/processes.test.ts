// api, worker and reaper as real processes against the real services: they connect,
// answer /healthz, /readyz and /metrics on their ports, and stop cleanly on SIGTERM.
import { afterAll, describe, expect, it } from 'vitest';
import { type RunningProcess, runEntry, terminate } from '../helpers/processes.js';
import { eventually, freePort } from '../helpers/services.js';

const started: RunningProcess[] = [];
afterAll(() => {
  for (const p of started) p.child.kill('SIGKILL');
});

async function startAndProbe(entry: string, env: Record<string, string>, base: string) {
  const p = runEntry(entry, env);
  started.push(p);
  await eventually(async () => (await fetch(`${base}/healthz`)).ok, {
    timeoutMs: 45_000,
    intervalMs: 100,
    what: `${entry} /healthz`,
  }).catch((err) => {
    throw new Error(`${String(err)}\n--- output ---\n${p.output()}`);
  });
  return p;
}

const json = async (url: string) => {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

describe('entry points', () => {
  it('api serves its operations endpoints and shuts down gracefully', async () => {
    const [port, opsPort] = await Promise.all([freePort(), freePort()]);
    const base = `http://127.0.0.1:${port}`;
    const api = await startAndProbe(
      'api/main.ts',
      { PORT: String(port), API_METRICS_PORT: String(opsPort) },
      base,
    );

    expect(await json(`${base}/readyz`)).toEqual({
      status: 200,
      body: { status: 'ready', checks: { redis: 'ok', postgres: 'ok', kafka: 'ok' } },
    });
    expect((await json(`${base}/openapi.json`)).body.openapi).toBe('3.1.0');
    expect((await fetch(`${base}/docs`)).status).toBe(200);
    // Metrics are on the ops port only, never on the public one.
    expect((await fetch(`${base}/metrics`)).status).toBe(404);
    const metrics = await (await fetch(`http://127.0.0.1:${opsPort}/metrics`)).text();
    expect(metrics).toContain('nodejs_eventloop_lag_p99_seconds{service="api"}');
    expect(metrics).toContain('route="/readyz",status_class="2xx"');

    expect(await terminate(api)).toBe(0);
    const log = api.output();
    expect(log).toContain('"msg":"shutting down"');
    expect(log).toContain('"msg":"stopped"');
    // Request lines are JSON with the request id, route, status and duration.
    const line = log.split('\n').find((l) => l.includes('"route":"/readyz"'));
    expect(JSON.parse(line ?? '{}')).toMatchObject({ method: 'GET', status: 200, service: 'api' });
    expect(JSON.parse(line ?? '{}').reqId).toMatch(/^[0-9a-z]+-[0-9a-z]+$/);
  });

  it.each([
    ['worker/main.ts', 'WORKER_METRICS_PORT', { postgres: 'ok', kafka: 'ok' }],
    ['reaper/main.ts', 'REAPER_METRICS_PORT', { redis: 'ok', postgres: 'ok', kafka: 'ok' }],
  ])(
    '%s exposes /healthz, /readyz and /metrics on its own port',
    async (entry, portKey, checks) => {
      const port = await freePort();
      const base = `http://127.0.0.1:${port}`;
      const service = entry.split('/')[0];
      const p = await startAndProbe(entry, { [portKey]: String(port) }, base);

      expect(await json(`${base}/readyz`)).toEqual({
        status: 200,
        body: { status: 'ready', checks },
      });
      const metrics = await (await fetch(`${base}/metrics`)).text();
      expect(metrics).toContain(`process_cpu_user_seconds_total{service="${service}"}`);

      expect(await terminate(p)).toBe(0);
      expect(p.output()).toContain('"msg":"stopped"');
    },
  );

  it('refuses a bad configuration with the key named and a non-zero exit', async () => {
    const p = runEntry('api/main.ts', { PORT: 'eighty', HOLD_TTL_SECONDS: '0' });
    started.push(p);
    expect(await p.exited).toBe(78);
    expect(p.output()).toContain('config error: PORT:');
    expect(p.output()).toContain('config error: HOLD_TTL_SECONDS:');
  });

  it('refuses the development JWT secret in production', async () => {
    const p = runEntry('worker/main.ts', {
      NODE_ENV: 'production',
      ADMIN_PASSWORD: 'a-real-password',
    });
    started.push(p);
    expect(await p.exited).toBe(78);
    expect(p.output()).toContain('config error: JWT_SECRET:');
  });

  it('stops with a clear error when a dependency stays down at start-up', async () => {
    const deadPort = await freePort();
    const p = runEntry('reaper/main.ts', {
      REDIS_URL: `redis://127.0.0.1:${deadPort}`,
      STARTUP_TIMEOUT_MS: '1000',
      REAPER_METRICS_PORT: String(await freePort()),
    });
    started.push(p);
    expect(await p.exited).toBe(1);
    expect(p.output()).toContain('redis not reachable after 1000 ms');
  });

  it('the npm start supervisor passes its environment to all three and stops them on Ctrl-C', async () => {
    const [port, workerPort, reaperPort] = await Promise.all([freePort(), freePort(), freePort()]);
    const launcher = runEntry('tools/dev/supervisor.mjs', {
      PORT: String(port),
      WORKER_METRICS_PORT: String(workerPort),
      REAPER_METRICS_PORT: String(reaperPort),
      LOG_LEVEL: 'debug',
    });
    started.push(launcher);
    for (const p of [port, workerPort, reaperPort]) {
      await eventually(async () => (await fetch(`http://127.0.0.1:${p}/readyz`)).ok, {
        timeoutMs: 45_000,
        intervalMs: 100,
        what: `readyz on ${p}`,
      });
    }
    expect(await terminate(launcher, 20_000, 'SIGINT')).toBe(0);
    const log = launcher.output();
    for (const service of ['api', 'worker', 'reaper']) {
      expect(log).toContain(`"service":"${service}"`);
      // LOG_LEVEL reached each process: their debug lines are there.
      expect(log).toMatch(new RegExp(`"level":"debug".*"service":"${service}"`));
    }
    expect(log.match(/"msg":"stopped"/g)).toHaveLength(3);
  });
});
