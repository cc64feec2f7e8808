// npm run perf:http: the api's hot paths over real HTTP against the real stack, each read as a
// ratio to two baselines measured in the same run, by the same load generator (wrk, one
// thread, perf/http/wrk.ts), on the same cores:
//
//   hello         a bare @hono/node-server hello-world (perf/http/baseline-server.ts), measured
//                 first and last: the floor of any answer on this server stack
//   prototype     the bare prototype of a reserve (perf/http/prototype-server.ts): the same
//                 request, one Lua script (stock, TIME, hold, expiry, outbox), nothing else:
//                 the ceiling a reserve could reach on this stack
//
// and then, on the api:
//
//   healthz       GET /healthz: its middleware alone, no Redis, no token
//   reserve       POST /v1/reservations, quantity 1, round-robin over BENCH_USERS users
//   availability  GET /v1/events/:id/availability, a full 200 each time
//   (revalidate)  the same with If-None-Match: 304
//   seats         GET …/seats of a 60,000-seat category, a full 200, then with If-None-Match
//   confirm       POST /v1/reservations/:id/confirm, each hold the reserve phase made, once
//   queue/me      GET /v1/events/:id/queue/me of fans waiting in a waiting room, round-robin
//                 over BENCH_USERS fans, with their Queue-Ticket (from memory) and without
//   sold out      POST /v1/reservations on a sold-out category (refused from memory)
//
// Modes. By default the whole engine runs during the phases: api, reaper (expiry and the
// outbox relay to Kafka) and worker (Kafka → Postgres, notifications), and every process's
// CPU is measured, the Kafka broker and Postgres included. BENCH_API_ONLY=1 runs the api
// alone (api + Redis); the reaper and the worker start after the phases. Either way the
// run ends by waiting (BENCH_DRAIN_SECONDS, 120) for the event's outbox to drain and for
// Postgres to hold every hold Redis has, with every confirmation.
//
// The engine's processes run from the build (`npm run build`, done by perf/http.sh), as the
// image runs them; BENCH_FROM=source runs them under tsx as `npm start` does. The two
// baselines always run under tsx (their per-request code is the same either way).
//
// Rate limits are off (SPEC §4: 0 = off) and logs at warn, as in every benchmark. The drop
// has BENCH_CAPACITY seats, far more than a run can sell, so every reserve should be a 201.
// Afterwards the stock is checked through the API (available = capacity − holds made) and
// the SPEC §3 invariants against Redis. Any failure exits 1.
// Its parts: settings.ts (BENCH_*), load.ts (a phase), drain.ts (the outbox to Postgres at
// the end), report.ts (the tables and .stack/bench-http.json).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { checkInvariants } from '../../core/reservations/invariants.js';
import { loadConfigOrExit } from '../../platform/config.js';
import { cpuSeconds, kafkaPid, postmasterPid, treeCpuSeconds } from './cpu.js';
import { drainedToPostgres } from './drain.js';
import { prepareCrowd, prepareDrop, prepareSeatedCategory } from './drop.js';
import { type CpuSource, type PhaseResult, runPhase } from './load.js';
import { type Service, startService } from './processes.js';
import { clearPrototype } from './prototype/keys.js';
import { report } from './report.js';
import {
  API_METRICS_PORT,
  API_ONLY,
  API_PORT,
  BASELINE_PORT,
  CAPACITY,
  CONFIRM_MAX_SECONDS,
  CONNECTIONS,
  entryOf,
  LOG_LEVEL,
  MODE,
  PROTOTYPE_PORT,
  REAPER_PORT,
  SECONDS,
  USERS,
  WARMUP_SECONDS,
  WORKER_PORT,
  wanted,
} from './settings.js';
import { runWrk, type WrkOptions } from './wrk.js';

const config = loadConfigOrExit();
const api = `http://127.0.0.1:${API_PORT}`;
const baselineUrl = `http://127.0.0.1:${BASELINE_PORT}/`;
const prototypeUrl = `http://127.0.0.1:${PROTOTYPE_PORT}/reserve`;
const services: Service[] = [];
const results: PhaseResult[] = [];
const notes: string[] = [];
let failed = false;
const redis = new Redis(config.REDIS_URL);
const work = mkdtempSync(join(tmpdir(), 'drop-bench-'));
const files = {
  users: join(work, 'users.tsv'),
  warmupHolds: join(work, 'holds-warmup.tsv'),
  holds: join(work, 'holds.tsv'),
  allHolds: join(work, 'holds-all.tsv'),
  polls: join(work, 'polls.tsv'),
  pollsWithoutTicket: join(work, 'polls-without-ticket.tsv'),
};

// The processes whose CPU every phase reports, besides the target's: Redis (its pid from
// INFO), the stack's Kafka broker and Postgres (whoever listens on their ports; Postgres
// as its whole process tree), and the reaper and worker once started.
const redisPid = Number(/process_id:(\d+)/.exec(await redis.info('server'))?.[1]);
const firstPort = (hostPorts: string) => Number(hostPorts.split(',')[0]?.split(':')[1]);
const kafka = kafkaPid(firstPort(config.KAFKA_BROKERS));
const postmaster = postmasterPid(Number(new URL(config.DATABASE_URL).port || 5432));
const engine: { reaper?: Service; worker?: Service } = {};
const ofService = (service?: Service) => () => (service ? cpuSeconds(service.pid) : Number.NaN);
function cpuSources(target: Service): Record<string, CpuSource> {
  return {
    [target.name]: () => cpuSeconds(target.pid),
    redis: () => cpuSeconds(redisPid),
    reaper: ofService(engine.reaper),
    worker: ofService(engine.worker),
    kafka: () => (kafka ? cpuSeconds(kafka) : Number.NaN),
    postgres: () => (postmaster ? treeCpuSeconds(postmaster) : Number.NaN),
  };
}
if (!kafka) notes.push(`no Kafka broker found on ${config.KAFKA_BROKERS}: its CPU is not counted`);
if (!postmaster) notes.push(`no PostgreSQL found for DATABASE_URL: its CPU is not counted`);

function fail(message: string) {
  console.error(`[bench] FAIL: ${message}`);
  failed = true;
}

type PhaseOptions = Omit<WrkOptions, 'connections' | 'duration'> & { duration?: number };

/**
 * Runs a phase (after a discarded warm-up of the same shape, unless `warmup` is false) and
 * records it; answers other than `expected` fail the bench.
 */
async function measure(
  name: string,
  service: Service,
  options: PhaseOptions,
  expected: number[],
  warmup: Partial<WrkOptions> | false = {},
) {
  const shape = { connections: CONNECTIONS, duration: SECONDS, ...options };
  if (WARMUP_SECONDS > 0 && warmup !== false)
    await runWrk({ ...shape, duration: WARMUP_SECONDS, ...warmup });
  const result = await runPhase(name, service, cpuSources(service), redis, shape);
  const unexpected = Object.entries(result.statuses).filter(
    ([code]) => !expected.includes(Number(code)),
  );
  if (unexpected.length) fail(`${name}: unexpected answers ${JSON.stringify(unexpected)}`);
  if (result.redis.reset)
    notes.push(`${name}: Redis's INFO commandstats was reset during the phase, no Redis figures`);
  results.push(result);
  if (service.name === 'api') {
    try {
      const metrics = await (await fetch(`http://127.0.0.1:${API_METRICS_PORT}/metrics`)).text();
      const mb = (name: string) =>
        (
          Number(new RegExp(`^${name}(?:{[^}]*})? (\\S+)`, 'm').exec(metrics)?.[1]) /
          2 ** 20
        ).toFixed(0);
      console.error(
        `[bench] ${name}: api heap used ${mb('nodejs_heap_size_used_bytes')} MB of ${mb('nodejs_heap_size_total_bytes')} MB, external ${mb('nodejs_external_memory_bytes')} MB`,
      );
    } catch {
      // the heap line is a nicety
    }
  }
  console.error(
    `[bench] ${name}: ${result.rps.toFixed(0)} req/s, p50 ${result.p50} ms, p99 ${result.p99} ms, rss ≤ ${result.rssPeakMb.toFixed(0)} MB, cpu % ${JSON.stringify(result.cpu)}, cpu µs/req ${JSON.stringify(result.cpuUsPerRequest)}, evalsha ${result.redis.evalshaUsPerCall ?? '–'} µs/call`,
  );
  return result;
}

function startReaper() {
  return startService(
    'reaper',
    entryOf('reaper/main.ts'),
    { REAPER_METRICS_PORT: String(REAPER_PORT), LOG_LEVEL },
    `http://127.0.0.1:${REAPER_PORT}/readyz`,
  );
}

function startWorker() {
  return startService(
    'worker',
    entryOf('worker/main.ts'),
    { WORKER_METRICS_PORT: String(WORKER_PORT), LOG_LEVEL },
    `http://127.0.0.1:${WORKER_PORT}/readyz`,
  );
}

type AvailabilityBody = { categories: { available: number }[] };

try {
  await clearPrototype(redis, config.REDIS_KEY_PREFIX);
  const baseline = await startService(
    'baseline',
    'perf/http/baseline-server.ts',
    { PORT: String(BASELINE_PORT) },
    baselineUrl,
  );
  services.push(baseline);
  const prototype = await startService(
    'prototype',
    'perf/http/prototype-server.ts',
    {
      PORT: String(PROTOTYPE_PORT),
      REDIS_URL: config.REDIS_URL,
      REDIS_KEY_PREFIX: config.REDIS_KEY_PREFIX,
    },
    `http://127.0.0.1:${PROTOTYPE_PORT}/`,
  );
  services.push(prototype);
  const apiService = await startService(
    'api',
    entryOf('api/main.ts'),
    {
      PORT: String(API_PORT),
      API_METRICS_PORT: String(API_METRICS_PORT),
      RATE_LIMIT_PER_IP: '0',
      RATE_LIMIT_PER_USER: '0',
      LOG_LEVEL,
    },
    `${api}/readyz`,
    // BENCH_PROFILE=1: a V8 CPU profile of the api over the whole run, for `npm run profile`.
    process.env.BENCH_PROFILE ? ['--cpu-prof', '--cpu-prof-dir=.stack/profiles'] : [],
  );
  services.push(apiService);
  // Whole engine: the reaper relays what the phases write to the outbox on to Kafka, the
  // worker writes it to Postgres; that work is part of every reservation, so it runs (and
  // is measured) during the phases.
  if (!API_ONLY) {
    engine.reaper = await startReaper();
    services.push(engine.reaper);
    engine.worker = await startWorker();
    services.push(engine.worker);
  }
  const drop = await prepareDrop(api, config, { users: USERS, capacity: CAPACITY });
  writeFileSync(files.users, drop.users.map((u) => `${u.userId}\t${u.authorization}\n`).join(''));
  console.error(
    `[bench] ${MODE}; wrk -t1 -c${CONNECTIONS}, ${SECONDS} s per phase after ${WARMUP_SECONDS} s of warm-up; event ${drop.eventId}`,
  );

  const reserveBody = JSON.stringify({
    eventId: drop.eventId,
    categoryId: drop.categoryId,
    quantity: 1,
  });
  // The same requests as the reserve phase: same body, same bearer tokens (unread).
  const reserveShape = { mode: 'reserve', usersFile: files.users, body: reserveBody } as const;

  await measure('hello (baseline)', baseline, { url: baselineUrl, mode: 'plain' }, [200]);
  await measure(
    'prototype reserve (ceiling)',
    prototype,
    { url: prototypeUrl, ...reserveShape },
    [201],
  );
  // The api's own HTTP stack (request id, log, metrics, headers) with no Redis and no auth:
  // what separates the baseline from the product routes before any domain work.
  if (wanted('healthz'))
    await measure('api GET /healthz', apiService, { url: `${api}/healthz`, mode: 'plain' }, [200]);

  // Every 201 is a hold for the confirm phase: wrk's script writes each one's id and owner.
  let holdsMade = 0;
  let holdsConfirmed = 0;
  if (wanted('reserve') || wanted('confirm')) {
    const reserve = await measure(
      'reserve',
      apiService,
      { url: `${api}/v1/reservations`, ...reserveShape, holdsOut: files.holds },
      [201],
      { holdsOut: files.warmupHolds },
    );
    const made = [files.warmupHolds, files.holds]
      .map((file) => {
        try {
          return readFileSync(file, 'utf8');
        } catch {
          return '';
        }
      })
      .join('');
    writeFileSync(files.allHolds, made);
    holdsMade = made.split('\n').filter(Boolean).length;
    if (reserve.holds !== undefined && reserve.holds !== (reserve.statuses['201'] ?? 0))
      fail(
        `reserve: ${reserve.statuses['201']} answers 201, ${reserve.holds} holds read from them`,
      );
  }

  const availability = `${api}/v1/events/${drop.eventId}/availability`;
  if (wanted('availability'))
    await measure('availability', apiService, { url: availability, mode: 'plain' }, [200]);
  const etag = (await fetch(availability)).headers.get('etag') ?? '';
  if (wanted('availability'))
    await measure(
      'availability, If-None-Match',
      apiService,
      { url: availability, mode: 'plain', headers: { 'If-None-Match': etag } },
      [304],
    );

  // A stadium's seat status (issue 28): 60,000 seats, from the api's memory per version.
  if (wanted('seats')) {
    const seats = await prepareSeatedCategory(api, drop);
    await measure('seat status, 60,000 seats', apiService, { url: seats, mode: 'plain' }, [200]);
    const seatsEtag = (await fetch(seats)).headers.get('etag') ?? '';
    await measure(
      'seat status, If-None-Match',
      apiService,
      { url: seats, mode: 'plain', headers: { 'If-None-Match': seatsEtag } },
      [304],
    );
  }

  // The crowd (issue 24): fans waiting in a waiting room poll queue/me with their tickets
  // (answered from memory) and without (Redis, the slow path); once a drop is gone, the
  // crowd keeps pressing reserve on a sold-out category (refused from memory).
  if (wanted('queue') || wanted('soldout')) {
    const crowd = await prepareCrowd(api, drop);
    writeFileSync(files.polls, crowd.polls);
    writeFileSync(files.pollsWithoutTicket, crowd.polls.replaceAll(/\t[^\n]*\n/g, '\t\n'));
    const queueMe = `${api}/v1/events/${crowd.queueEventId}/queue/me`;
    if (wanted('queue')) {
      await measure(
        'queue/me, with ticket',
        apiService,
        { url: queueMe, mode: 'poll', pollsFile: files.polls },
        [200],
      );
      await measure(
        'queue/me, without ticket',
        apiService,
        { url: queueMe, mode: 'poll', pollsFile: files.pollsWithoutTicket },
        [200],
      );
    }
    if (wanted('soldout'))
      await measure(
        'reserve, sold out',
        apiService,
        {
          url: `${api}/v1/reservations`,
          mode: 'reserve',
          usersFile: files.users,
          body: crowd.soldOutBody,
        },
        [409],
      );
  }

  // Confirms are one per hold, so this phase is a fixed amount: the holds just made.
  if (wanted('confirm') && holdsMade > 0) {
    const confirm = await measure(
      'confirm',
      apiService,
      {
        url: `${api}/v1/reservations/`,
        mode: 'confirm',
        usersFile: files.users,
        holdsIn: files.allHolds,
        duration: CONFIRM_MAX_SECONDS,
      },
      [200],
      false,
    );
    holdsConfirmed = confirm.statuses['200'] ?? 0;
    if (confirm.requests !== holdsMade)
      fail(`confirm: ${confirm.requests} answers for ${holdsMade} holds`);
  }

  await measure('hello (again)', baseline, { url: baselineUrl, mode: 'plain' }, [200]);

  // No oversell, no lost stock: every SPEC §3 check against Redis, and the API agrees.
  // A wrk run ends with up to CONNECTIONS reserves in flight whose answers nobody reads, so
  // the holds in Redis may exceed the ones seen by at most that many per reserve run.
  try {
    const counts = await checkInvariants(redis, drop.eventId, config.REDIS_KEY_PREFIX);
    const category = counts[drop.categoryId];
    const shown = ((await (await fetch(availability)).json()) as AvailabilityBody).categories[0];
    if (!category || !shown) throw new Error('the drop has no category');
    if (shown.available !== category.available)
      throw new Error(`the API shows ${shown.available} available, Redis ${category.available}`);
    if (category.confirmed !== holdsConfirmed)
      throw new Error(
        `${category.confirmed} confirmed in Redis, ${holdsConfirmed} confirmed over HTTP`,
      );
    if (category.held + category.confirmed < holdsMade)
      throw new Error(`${category.held + category.confirmed} holds in Redis, ${holdsMade} made`);
    if (category.held + category.confirmed - holdsMade > 2 * CONNECTIONS)
      throw new Error(
        `${category.held + category.confirmed - holdsMade} holds in Redis the bench never saw made`,
      );
    console.error(`[bench] invariants hold: ${JSON.stringify(category)}`);
  } catch (err) {
    fail((err as Error).message);
  }

  // Everything Redis decided reaches Postgres: in api-only mode through a reaper and a
  // worker started only now, with the whole run's outbox waiting for them.
  if (API_ONLY) {
    engine.reaper = await startReaper();
    services.push(engine.reaper);
    engine.worker = await startWorker();
    services.push(engine.worker);
  }
  const drained = await drainedToPostgres(
    redis,
    config,
    drop.eventId,
    drop.categoryId,
    API_ONLY ? 'reaper and worker were ready' : 'last phase',
  );
  if ('failure' in drained) fail(drained.failure);
  else {
    notes.push(drained.line);
    console.error(`[bench] ${drained.line}`);
  }
  report({ results, notes, failed, holdsMade, holdsConfirmed });
} catch (err) {
  console.error(err);
  failed = true;
} finally {
  for (const service of services.reverse()) await service.stop();
  try {
    await clearPrototype(redis, config.REDIS_KEY_PREFIX);
  } catch (err) {
    console.error(`[bench] could not clear the prototype's keys: ${(err as Error).message}`);
  }
  redis.disconnect();
  rmSync(work, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
