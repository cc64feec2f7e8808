// The drop-access gates' costs (SPEC §9, BENCHMARKS.md): the api's CPU to check one
// Challenge-Solution (ours, and ALTCHA's verifySolution for comparison), and a client's
// solve time at a difficulty: ALTCHA's own solver (WebCrypto, one hash per promise, as the
// library runs in Node) and a plain node:crypto loop (what a scripted client could do).
//
//   node --import tsx perf/drop-access-cost.ts [difficulty=100000] [solves=15]
//
// No services: the replay guard's one Redis command and a code's one Postgres statement
// are round trips, not CPU, and are not measured here.
import { createHash } from 'node:crypto';
import { createChallenge, solveChallenge, verifySolution } from 'altcha-lib/v1';
import type { Context } from 'hono';
import { Registry } from 'prom-client';
import { createDropAccess } from '../api/drop-access.js';
import { createEventViews } from '../api/event-views.js';
import { CHALLENGE_TTL_MS, checkSolution } from '../core/access/challenges.js';
import type { EventView } from '../core/reservations/event-stock.js';
import { keyspace } from '../core/reservations/keys.js';
import { createLogger } from '../platform/logger.js';
import type { RedisClient } from '../platform/redis.js';

const difficulty = Number(process.argv[2] ?? 100_000);
const solves = Number(process.argv[3] ?? 15);
const hmacKey = 'c'.repeat(64);

const made = () =>
  createChallenge({
    algorithm: 'SHA-256',
    hmacKey,
    maxnumber: difficulty,
    expires: new Date(Date.now() + CHALLENGE_TTL_MS),
  });
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

/** CPU µs per call of `run`, over `n` calls after a warm-up, best of three rounds. */
async function cpuPerCall(run: () => unknown, n: number): Promise<number> {
  const rounds: number[] = [];
  for (let round = 0; round < 4; round++) {
    const before = process.cpuUsage();
    for (let i = 0; i < n; i++) await run();
    const used = process.cpuUsage(before);
    if (round > 0) rounds.push((used.user + used.system) / n);
  }
  return Math.min(...rounds);
}

const one = await made();
const found = await solveChallenge(one.challenge, one.salt, one.algorithm, one.maxnumber).promise;
const payload = Buffer.from(JSON.stringify({ ...one, number: found?.number })).toString('base64');
if (!checkSolution(payload, hmacKey, Date.now())) throw new Error('the solution does not check');
const ours = await cpuPerCall(() => checkSolution(payload, hmacKey, Date.now()), 50_000);
const library = await cpuPerCall(() => verifySolution(payload, hmacKey), 5_000);

// The gate of a reserve for an event with neither setting, with the real event views (their
// Redis read and subscriber stubbed): what every reserve now pays.
const plainView: EventView = {
  state: { status: 'on_sale', holdTtlSeconds: 600, perUserLimit: 10 },
  fenced: false,
  categories: [],
  queue: {
    enabled: false,
    opened: true,
    admitPerSecond: 0,
    admittedTotal: 0,
    firstAdmitAt: null,
    soldOut: false,
    waiting: 0,
  },
  at: 0,
  access: { presaleEndsAt: 0, challengeMaxNumber: 0 },
};
const subscriber = {
  on: () => subscriber,
  ssubscribe: async () => 1,
  sunsubscribe: async () => 1,
  disconnect: () => {},
} as unknown as RedisClient;
const views = createEventViews(
  { view: async () => plainView },
  subscriber,
  keyspace(),
  createLogger({ LOG_LEVEL: 'warn', LOG_PRETTY: false } as never, 'bench'),
  new Registry(),
  { streamIntervalMs: 250, availabilityCacheMs: 0 },
);
const gate = createDropAccess({
  views,
  codes: { use: async () => 'ok' },
  challenges: { use: async () => true },
  registry: new Registry(),
});
const eventId = '0193a0b2-7c1e-7d3a-9f00-1c2d3e4f5a6b';
// The first read subscribes, and the subscription marks the view for one more read.
await views.current(eventId, { clean: 'settings' });
await new Promise((resolve) => setTimeout(resolve, 10));
await views.current(eventId, { clean: 'settings' });
const c = { req: { header: () => undefined } } as unknown as Context;
const gateCost = await cpuPerCall(() => {
  if (gate.gate('reserve', eventId, 'u', c) !== undefined) throw new Error('gated');
}, 500_000);
views.close();

const libraryMs: number[] = [];
const nativeMs: number[] = [];
for (let i = 0; i < solves; i++) {
  const challenge = await made();
  let started = performance.now();
  await solveChallenge(challenge.challenge, challenge.salt, 'SHA-256', difficulty).promise;
  libraryMs.push(performance.now() - started);
  started = performance.now();
  for (let n = 0; n <= difficulty; n++) {
    if (createHash('sha256').update(`${challenge.salt}${n}`).digest('hex') === challenge.challenge)
      break;
  }
  nativeMs.push(performance.now() - started);
}

console.log(
  JSON.stringify(
    {
      cpus: (await import('node:os')).cpus().length,
      load: (await import('node:os')).loadavg().map((l) => Math.round(l * 100) / 100),
      gateWithNeitherSettingCpuMicros: Math.round(gateCost * 1000) / 1000,
      checkSolutionCpuMicros: Math.round(ours * 100) / 100,
      altchaVerifySolutionCpuMicros: Math.round(library * 100) / 100,
      difficulty,
      solves,
      medianSolveMsAltchaSolver: Math.round(median(libraryMs)),
      medianSolveMsNodeCrypto: Math.round(median(nativeMs)),
    },
    null,
    2,
  ),
);
