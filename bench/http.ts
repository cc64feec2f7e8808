// npm run bench: the api's hot paths over real HTTP against the real stack, each read as a
// ratio to a bare @hono/node-server hello-world measured in the same run, by the same load
// generator (autocannon, in this process), on the same cores.
//
//   healthz       GET /healthz on the api: its middleware alone, no Redis, no token
//   reserve       POST /v1/reservations, quantity 1, round-robin over BENCH_USERS users
//   availability  GET /v1/events/:id/availability, a full 200 each time
//   (revalidate)  the same with If-None-Match: 304
//   confirm       POST /v1/reservations/:id/confirm, each hold the reserve phase made, once
//
// Rate limits are off (SPEC §4: 0 = off) and logs at warn, as in every benchmark. The drop
// has BENCH_CAPACITY seats, far more than a run can sell, so every reserve should be a 201.
// Afterwards the stock is checked through the API (available = capacity − holds made) and
// the SPEC §3 invariants against Redis. Any failure exits 1.
import { mkdirSync, writeFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { loadConfigOrExit } from '../common/config.js';
import { checkInvariants } from '../common/reservations/invariants.js';
import { prepareDrop } from './drop.js';
import { type LoadOptions, type PhaseResult, runPhase } from './load.js';
import { type Service, startService } from './processes.js';

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const CONNECTIONS = env('BENCH_CONNECTIONS', 64);
const SECONDS = env('BENCH_SECONDS', 10);
const WARMUP_SECONDS = env('BENCH_WARMUP_SECONDS', 2);
const USERS = env('BENCH_USERS', 2000);
const CAPACITY = env('BENCH_CAPACITY', 10_000_000);
const BASELINE_PORT = env('BENCH_BASELINE_PORT', 8190);
const API_PORT = env('BENCH_API_PORT', 8191);
const REAPER_PORT = env('BENCH_REAPER_PORT', 9196);
const RESULT_FILE = '.stack/bench-http.json';
// BENCH_PHASES=reserve,confirm runs only those (and the baselines), e.g. to profile one path.
const PHASES = process.env.BENCH_PHASES?.split(',');
const wanted = (phase: string) => !PHASES || PHASES.includes(phase);

const config = loadConfigOrExit();
const api = `http://127.0.0.1:${API_PORT}`;
const baselineUrl = `http://127.0.0.1:${BASELINE_PORT}/`;
const services: Service[] = [];
const results: PhaseResult[] = [];
let failed = false;
const redis = new Redis(config.REDIS_URL);
const redisPid = Number(/process_id:(\d+)/.exec(await redis.info('server'))?.[1]);

function fail(message: string) {
  console.error(`[bench] FAIL: ${message}`);
  failed = true;
}

/**
 * Runs a phase (after a discarded warm-up of the same shape, unless it is a fixed amount of
 * requests) and records it; answers other than `expected` fail the bench.
 */
async function measure(name: string, service: Service, options: LoadOptions, expected: number[]) {
  const shape = { connections: CONNECTIONS, duration: SECONDS, ...options };
  const pids = { pid: service.pid, others: { redis: redisPid, ...background } };
  if (WARMUP_SECONDS > 0 && options.amount === undefined)
    await runPhase(name, pids, { ...shape, duration: WARMUP_SECONDS });
  const result = await runPhase(name, pids, shape);
  const unexpected = Object.entries(result.statuses).filter(
    ([code]) => !expected.includes(Number(code)),
  );
  if (unexpected.length) fail(`${name}: unexpected answers ${JSON.stringify(unexpected)}`);
  results.push(result);
  if (service.name === 'api') {
    const metrics = await (await fetch(`${api}/metrics`)).text();
    const mb = (name: string) =>
      (Number(new RegExp(`^${name}(?:{[^}]*})? (\\S+)`, 'm').exec(metrics)?.[1]) / 2 ** 20).toFixed(
        0,
      );
    console.error(
      `[bench] ${name}: api heap used ${mb('nodejs_heap_size_used_bytes')} MB of ${mb('nodejs_heap_size_total_bytes')} MB, external ${mb('nodejs_external_memory_bytes')} MB`,
    );
  }
  console.error(
    `[bench] ${name}: ${result.rps.toFixed(0)} req/s, p50 ${result.p50} ms, p99 ${result.p99} ms, rss ≤ ${result.rssPeakMb.toFixed(0)} MB, cpu % ${JSON.stringify(result.cpu)}`,
  );
  return result;
}

/** Processes whose CPU each phase reports besides the target's (the reaper, once started). */
const background: Record<string, number> = {};
type Connection = { authorization?: string };
type AvailabilityBody = { categories: { available: number }[] };

try {
  const baseline = await startService(
    'baseline',
    'bench/baseline-server.ts',
    { PORT: String(BASELINE_PORT) },
    baselineUrl,
  );
  services.push(baseline);
  const engine = await startService(
    'api',
    'api/main.ts',
    {
      PORT: String(API_PORT),
      RATE_LIMIT_PER_IP: '0',
      RATE_LIMIT_PER_USER: '0',
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    },
    `${api}/readyz`,
    // BENCH_PROFILE=1: a V8 CPU profile of the api over the whole run, for `npm run profile`.
    process.env.BENCH_PROFILE ? ['--cpu-prof', '--cpu-prof-dir=.stack/profiles'] : [],
  );
  services.push(engine);
  // The reaper relays what the phases write to the outbox on to Kafka: that work is part
  // of every reservation, so it runs (and is measured) during the bench too.
  const reaper = await startService(
    'reaper',
    'reaper/main.ts',
    { REAPER_METRICS_PORT: String(REAPER_PORT), LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' },
    `http://127.0.0.1:${REAPER_PORT}/readyz`,
  );
  services.push(reaper);
  background.reaper = reaper.pid;
  const drop = await prepareDrop(api, config, { users: USERS, capacity: CAPACITY });
  console.error(
    `[bench] ${CONNECTIONS} connections, ${SECONDS} s per phase after ${WARMUP_SECONDS} s of warm-up; event ${drop.eventId}`,
  );

  await measure('baseline', baseline, { url: baselineUrl }, [200]);
  // The api's own HTTP stack (request id, log, metrics, headers) with no Redis and no auth:
  // what separates the baseline from the product routes before any domain work.
  if (wanted('healthz'))
    await measure('api GET /healthz', engine, { url: `${api}/healthz` }, [200]);

  // Every 201 is a hold for the confirm phase, remembered with its owner's token.
  const holds: { id: string; authorization: string }[] = [];
  let nextUser = 0;
  if (wanted('reserve') || wanted('confirm'))
    await measure(
      'reserve',
      engine,
      {
        url: `${api}/v1/reservations`,
        requests: [
          {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({
              eventId: drop.eventId,
              categoryId: drop.categoryId,
              quantity: 1,
            }),
            setupRequest: (req, context: Connection) => {
              context.authorization = drop.authorizations[nextUser++ % drop.authorizations.length];
              return { ...req, headers: { ...req.headers, authorization: context.authorization } };
            },
            onResponse: (status, body, context: Connection) => {
              if (status === 201 && context.authorization)
                holds.push({ id: JSON.parse(body).id, authorization: context.authorization });
            },
          },
        ],
      },
      [201],
    );

  const availability = `${api}/v1/events/${drop.eventId}/availability`;
  if (wanted('availability')) await measure('availability', engine, { url: availability }, [200]);
  const etag = (await fetch(availability)).headers.get('etag') ?? '';
  if (wanted('availability'))
    await measure(
      'availability, If-None-Match',
      engine,
      { url: availability, headers: { 'if-none-match': etag } },
      [304],
    );

  // Confirms are one per hold, so this phase is a fixed amount: the holds just made.
  let nextHold = 0;
  if (holds.length > 0)
    await measure(
      'confirm',
      engine,
      {
        url: api,
        amount: holds.length,
        requests: [
          {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: '{}',
            setupRequest: (req) => {
              const hold = holds[nextHold++ % holds.length] as (typeof holds)[number];
              return {
                ...req,
                path: `/v1/reservations/${hold.id}/confirm`,
                headers: { ...req.headers, authorization: hold.authorization },
              };
            },
          },
        ],
      },
      [200],
    );

  await measure('baseline (again)', baseline, { url: baselineUrl }, [200]);

  // No oversell, no lost stock: every SPEC §3 check against Redis, and the API agrees.
  // A phase ends with up to CONNECTIONS reserves in flight whose answers nobody reads, so
  // the holds in Redis may exceed the ones seen by at most that many per reserve run.
  try {
    const counts = await checkInvariants(redis, drop.eventId, config.REDIS_KEY_PREFIX);
    const category = counts[drop.categoryId];
    const shown = ((await (await fetch(availability)).json()) as AvailabilityBody).categories[0];
    if (!category || !shown) throw new Error('the drop has no category');
    if (shown.available !== category.available)
      throw new Error(`the API shows ${shown.available} available, Redis ${category.available}`);
    if (category.confirmed !== holds.length)
      throw new Error(
        `${category.confirmed} confirmed in Redis, ${holds.length} confirmed over HTTP`,
      );
    if (category.held > 2 * CONNECTIONS)
      throw new Error(`${category.held} holds in Redis the bench never saw made`);
    console.error(`[bench] invariants hold: ${JSON.stringify(category)}`);
  } catch (err) {
    fail((err as Error).message);
  }
  report(holds.length);
} catch (err) {
  console.error(err);
  failed = true;
} finally {
  for (const service of services.reverse()) await service.stop();
  redis.disconnect();
}
process.exit(failed ? 1 : 0);

/** A markdown table for BENCHMARKS.md, and the raw figures in RESULT_FILE. */
function report(holdsMade: number) {
  const baselines = results.filter((r) => r.name.startsWith('baseline'));
  const baselineRps = baselines.reduce((a, r) => a + r.rps, 0) / baselines.length;
  // CPU time one request costs a process: % of a core over requests per second, in µs.
  const perRequest = (r: PhaseResult, pct = 0) => Math.round((pct * 1e4) / r.rps);
  const row = (r: PhaseResult) =>
    `| ${r.name} | ${Math.round(r.rps).toLocaleString('en')} | ${(r.rps / baselineRps).toFixed(2)}× | ${r.p50} / ${r.p99} / ${r.max} ms | ${r.rssPeakMb.toFixed(0)} MB | ${r.cpu.target} / ${r.cpu.redis} / ${r.cpu.reaper ?? '–'} / ${r.cpu.loadGenerator} / ${r.cpu.machine} | ${perRequest(r, r.cpu.target)} / ${perRequest(r, r.cpu.redis)} / ${perRequest(r, r.cpu.reaper)} |`;
  console.log(
    [
      `${new Date().toISOString()}, ${CONNECTIONS} connections, ${SECONDS} s per phase; baseline = mean of the two baseline phases (${Math.round(baselineRps)} req/s)`,
      '',
      '| phase | req/s | vs baseline | p50 / p99 / max | peak RSS of the server | CPU % server / redis / reaper / autocannon / machine | CPU µs per request: server / redis / reaper |',
      '|---|---:|---:|---:|---:|---:|---:|',
      ...results.map(row),
      '',
      `${holdsMade} holds made and confirmed over HTTP; Redis agrees, the API shows the same stock, and the SPEC §3 invariants hold.`,
    ].join('\n'),
  );
  mkdirSync('.stack', { recursive: true });
  writeFileSync(RESULT_FILE, JSON.stringify({ baselineRps, results, holdsMade }, null, 2));
}
