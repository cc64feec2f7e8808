// The settings of `npm run perf:http` (BENCH_*): the load's shape, the servers' ports, the
// mode (the whole engine or the api alone, from the build or the source), the phases run.
const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
export const CONNECTIONS = env('BENCH_CONNECTIONS', 64);
export const SECONDS = env('BENCH_SECONDS', 10);
export const WARMUP_SECONDS = env('BENCH_WARMUP_SECONDS', 2);
export const USERS = env('BENCH_USERS', 2000);
export const CAPACITY = env('BENCH_CAPACITY', 10_000_000);
export const BASELINE_PORT = env('BENCH_BASELINE_PORT', 8190);
export const API_PORT = env('BENCH_API_PORT', 8191);
export const API_METRICS_PORT = env('BENCH_API_METRICS_PORT', 9195);
export const PROTOTYPE_PORT = env('BENCH_PROTOTYPE_PORT', 8192);
export const REAPER_PORT = env('BENCH_REAPER_PORT', 9196);
export const WORKER_PORT = env('BENCH_WORKER_PORT', 9197);
export const DRAIN_SECONDS = env('BENCH_DRAIN_SECONDS', 120);
// A confirm phase ends when every hold is answered; this only bounds it.
export const CONFIRM_MAX_SECONDS = env(
  'BENCH_CONFIRM_MAX_SECONDS',
  10 * (SECONDS + WARMUP_SECONDS) + 30,
);
export const API_ONLY = process.env.BENCH_API_ONLY === '1';
export const FROM_SOURCE = process.env.BENCH_FROM === 'source';
export const MODE = `${API_ONLY ? 'api only (api + Redis)' : 'whole engine (api + reaper + worker)'}, run from ${FROM_SOURCE ? 'source (tsx)' : 'the build'}`;
export const RESULT_FILE = '.stack/bench-http.json';
// BENCH_PHASES=reserve,confirm runs only those (and the two baselines), e.g. to profile one.
const PHASES = process.env.BENCH_PHASES?.split(',');
export const wanted = (phase: string) => !PHASES || PHASES.includes(phase);
export const LOG_LEVEL = process.env.LOG_LEVEL ?? 'warn';
/** A process's entry: its TypeScript source, or what the build made of it. */
export const entryOf = (source: string) =>
  FROM_SOURCE ? source : `dist/${source.replace(/\.ts$/, '.js')}`;
