// /readyz follows Redis: 503 naming redis while it is down, 200 again once it is back.
// Every readiness endpoint answers the same: the api's /readyz and the ops server's (the
// worker's and the reaper's run the same createOpsApp). This file runs its own
// redis-server, so stopping it disturbs no other test.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp } from '../helpers/app.js';
import { eventually, freePort, testConfig } from '../helpers/services.js';

let port: number;
let redis: ChildProcess | undefined;
const dir = mkdtempSync(join(tmpdir(), 'drop-readyz-'));

function startRedis(): ChildProcess {
  try {
    execFileSync('redis-server', ['--version']);
  } catch {
    throw new Error('this test runs its own redis-server: apt-get install -y redis-server');
  }
  return spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', ''],
    {
      stdio: 'ignore',
    },
  );
}

async function stopRedis() {
  if (!redis || redis.exitCode !== null) return;
  const exited = once(redis, 'exit');
  redis.kill('SIGKILL');
  await exited;
}

let ctx: Awaited<ReturnType<typeof buildTestApp>>;

beforeAll(async () => {
  port = await freePort();
  redis = startRedis();
  ctx = await buildTestApp(
    testConfig({ REDIS_URL: `redis://127.0.0.1:${port}`, READY_CHECK_TIMEOUT_MS: '500' }),
  );
  await eventually(async () => ctx.redis.status === 'ready', { what: 'redis ready' });
});
afterAll(async () => {
  await ctx?.close();
  await stopRedis();
});

const answer = async (res: Response) => ({
  status: res.status,
  contentType: res.headers.get('content-type'),
  retryAfter: res.headers.get('retry-after'),
  body: (await res.json()) as Record<string, unknown>,
});
const readyz = async () => answer(await ctx.app.request('/readyz'));
const opsReadyz = async () => answer(await fetch(`${ctx.opsUrl}/readyz`));

describe('/readyz', () => {
  it('turns 503 naming redis when Redis stops, and 200 when it is back', async () => {
    expect((await readyz()).status).toBe(200);

    await stopRedis();
    const down = await readyz();
    expect(down.status).toBe(503);
    expect(down.body).toMatchObject({ code: 'not_ready', detail: 'Not reachable: redis' });
    const checks = down.body.checks as Record<string, string>;
    expect(checks.postgres).toBe('ok');
    expect(checks.kafka).toBe('ok');
    expect(checks.redis).not.toBe('ok');
    expect(down).toMatchObject({ contentType: 'application/problem+json', retryAfter: '1' });

    // The ops server's 503 is the same problem+json, less the api's request id.
    const { requestId, ...problem } = down.body;
    expect(requestId).toEqual(expect.any(String));
    const ops = await opsReadyz();
    expect(ops).toEqual({ ...down, body: { ...problem, checks: ops.body.checks } });
    expect(Object.keys(ops.body.checks as object).sort()).toEqual(['kafka', 'postgres', 'redis']);
    expect((ops.body.checks as Record<string, string>).redis).not.toBe('ok');

    redis = startRedis();
    await eventually(async () => (await readyz()).status === 200, {
      timeoutMs: 15_000,
      intervalMs: 100,
      what: '/readyz back to 200',
    });
    const ready = { status: 'ready', checks: { redis: 'ok', postgres: 'ok', kafka: 'ok' } };
    expect((await readyz()).body).toEqual(ready);
    expect((await opsReadyz()).body).toEqual(ready);
  });
});
