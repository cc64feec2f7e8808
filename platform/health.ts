// Readiness probes of the dependencies, each bounded by a timeout so a dead dependency
// makes /readyz answer 503 promptly instead of hanging.
import type { Admin } from 'kafkajs';
import type { Sql } from './db/client.js';
import type { RedisClient } from './redis.js';

export type Probe = () => Promise<unknown>;
export type Probes = Record<string, Probe>;
export interface Readiness {
  ready: boolean;
  checks: Record<string, 'ok' | string>;
}

export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export async function checkReadiness(probes: Probes, timeoutMs: number): Promise<Readiness> {
  const names = Object.keys(probes);
  const results = await Promise.allSettled(
    names.map((name) => withTimeout(Promise.resolve().then(probes[name]), timeoutMs, name)),
  );
  const checks: Readiness['checks'] = {};
  results.forEach((r, i) => {
    checks[names[i] as string] = r.status === 'fulfilled' ? 'ok' : errorMessage(r.reason);
  });
  return { ready: results.every((r) => r.status === 'fulfilled'), checks };
}

/**
 * Every readiness endpoint's verdict (the api's /readyz and each process's ops server):
 * ready with the checks, or not, with the one `detail` every 503 carries. The 503 is the
 * same RFC 9457 problem+json everywhere (`notReadyProblem`), with `checks` naming what
 * failed and `Retry-After: 1`.
 */
export async function readiness(
  probes: Probes,
  timeoutMs: number,
  draining: () => boolean = () => false,
): Promise<{ ready: true; checks: Readiness['checks'] } | NotReady> {
  if (draining())
    return { ready: false, detail: 'Shutting down', checks: { shutdown: 'draining' } };
  const { ready, checks } = await checkReadiness(probes, timeoutMs);
  if (ready) return { ready, checks };
  const failing = Object.keys(checks).filter((name) => checks[name] !== 'ok');
  return { ready, detail: `Not reachable: ${failing.join(', ')}`, checks };
}
export interface NotReady {
  ready: false;
  detail: string;
  checks: Readiness['checks'];
}

/** The 503 answer of a readiness endpoint, as the api's problem table writes `not_ready`. */
export function notReadyProblem({ detail, checks }: NotReady, requestId?: string) {
  return {
    status: 503 as const,
    headers: { 'Content-Type': 'application/problem+json', 'Retry-After': '1' },
    body: {
      type: '/problems/not_ready',
      title: 'Not ready',
      status: 503,
      detail,
      code: 'not_ready' as const,
      requestId,
      checks,
    },
  };
}

const errorMessage = (err: unknown) => (err instanceof Error ? err.message : String(err));

export const redisProbe =
  (redis: RedisClient): Probe =>
  () =>
    redis.ping();
export const postgresProbe =
  (sql: Sql): Probe =>
  () =>
    sql`select 1`;
export const kafkaProbe =
  (admin: Admin): Probe =>
  () =>
    admin.describeCluster();

/** Retries `probe` until it succeeds or `timeoutMs` passes: start-up waits for dependencies. */
export async function waitUntilReachable(
  name: string,
  probe: Probe,
  timeoutMs: number,
  onRetry: (err: unknown) => void,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let delay = 100;
  for (;;) {
    try {
      await withTimeout(Promise.resolve().then(probe), 3000, name);
      return;
    } catch (err) {
      if (Date.now() + delay > deadline) {
        throw new Error(`${name} not reachable after ${timeoutMs} ms: ${errorMessage(err)}`);
      }
      onRetry(err);
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 2000);
    }
  }
}
