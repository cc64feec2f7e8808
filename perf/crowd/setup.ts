// The crowd bench's settings (CROWD_*, and what perf/crowd.sh passes: the engine's address,
// pids, metrics and buyers), and what its parts share: a Redis client, the work folder, the
// failures so far, the api's JSON calls.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { loadConfigOrExit } from '../../platform/config.js';

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
export const SIZES = (process.env.CROWD_SIZES ?? '10000,100000,1000000').split(',').map(Number);
export const SECONDS = env('CROWD_SECONDS', 20);
export const WARMUP_SECONDS = env('CROWD_WARMUP_SECONDS', 3);
export const MAX_POLLS = env('CROWD_MAX_POLLS_PER_SECOND', 6000);
export const SAMPLE = env('CROWD_SAMPLE', 20_000);
export const MAX_AVAILABILITY = env('CROWD_MAX_AVAILABILITY_PER_SECOND', 500);
export const MAX_STREAMS = env('CROWD_MAX_STREAMS', 2000);
export const BUYER_RATE = env('CROWD_BUYER_RATE', 100);
/**
 * wrk's connections each send at most this many requests a second. A connection waits for
 * its answer before its next pace: a pace (≥ 200 ms) long next to an answer's time keeps
 * the rate driven close to the rate wanted, and never above.
 */
export const PER_CONNECTION = 5;
export const REDIS_GROWTH_LIMIT = 0.1;
export const RESERVE_P99_LIMIT_MS = 100;
export const CAPACITY = 10_000_000;

export const config = loadConfigOrExit();
export const base = new URL(process.env.BASE ?? 'http://127.0.0.1:8090');
export const apiPid = Number(process.env.API_PID);
/** The engine's processes (api, reaper, worker): Redis's other clients are not the bench's. */
export const enginePids = (process.env.ENGINE_PIDS ?? String(apiPid)).split(/\s+/).map(Number);
export const metricsUrl = process.env.API_METRICS_URL ?? 'http://127.0.0.1:9120/metrics';
export const buyers = JSON.parse(
  readFileSync(process.env.USERS_FILE ?? '.stack/crowd-users.json', 'utf8'),
).map((u: { userId: string; accessToken: string }) => ({
  userId: u.userId,
  authorization: `Bearer ${u.accessToken}`,
})) as { userId: string; authorization: string; pass?: string }[];
export const redis = new Redis(config.REDIS_URL);
export const work = mkdtempSync(join(tmpdir(), 'drop-crowd-'));
export const pollsFile = join(work, 'polls.tsv');
export const failures: string[] = [];
export const fail = (message: string) => {
  console.error(`[crowd] FAIL: ${message}`);
  failures.push(message);
};
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const url = (path: string) => new URL(path, base).toString();

export async function call(path: string, token: string | undefined, body?: unknown) {
  const res = await fetch(url(path), {
    method: body === undefined ? 'GET' : 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const json = (await res.json()) as Record<string, unknown>;
  if (!res.ok) throw new Error(`${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}
