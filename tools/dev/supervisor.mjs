// npm start's supervisor: runs api, worker and reaper in the foreground and keeps them up.
//   - A child that dies is restarted after a backoff (doubling from
//     SUPERVISOR_RESTART_BASE_MS up to SUPERVISOR_RESTART_MAX_MS, back to the base once it
//     has stayed up a minute), and the death is logged with its exit code or signal.
//   - A crash loop — more than SUPERVISOR_MAX_RESTARTS restarts of one child within
//     SUPERVISOR_RESTART_WINDOW_MS — stops everything with a message saying so, exit 1;
//     a child refusing its configuration (exit 78) stops everything at once, exit 78.
//   - Ctrl-C or SIGTERM drains all three in order: the api first (no new work comes in),
//     then the reaper (its relay flushes the outbox to Kafka and gives its leases back),
//     then the worker (it commits what it wrote to Postgres); each gets SHUTDOWN_TIMEOUT_MS
//     (plus a margin) before SIGKILL. A second Ctrl-C more than a second later forces.
//   - No orphans: the children run in process groups of their own (a terminal's Ctrl-C
//     reaches only us, so the order holds) and hold an IPC channel to us: should we be
//     killed outright, they see it close and shut themselves down. Should our parent (npm)
//     die, we drain and exit.
// Built-ins only: it runs before anything is compiled.
import { spawn } from 'node:child_process';

const SERVICES = [
  { name: 'api', entry: 'api/main.ts' },
  { name: 'worker', entry: 'worker/main.ts' },
  { name: 'reaper', entry: 'reaper/main.ts' },
];
/** Stop order: the producer of work first, the last consumer of it last. */
const STOP_ORDER = ['api', 'reaper', 'worker'];
/** EX_CONFIG: the process refused its configuration; restarting cannot help. */
const EX_CONFIG = 78;
/** A child up this long has recovered: its next death starts the backoff over. */
const STABLE_MS = 60_000;
/** Signals this close to the first are the same Ctrl-C (npm forwards what the terminal sent). */
const SAME_SIGNAL_MS = 1000;

function setting(name, fallback, min) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) {
    console.error(`[supervisor] config error: ${name}: must be an integer ≥ ${min}`);
    process.exit(EX_CONFIG);
  }
  return value;
}

const settings = {
  restartBaseMs: setting('SUPERVISOR_RESTART_BASE_MS', 500, 0),
  restartMaxMs: setting('SUPERVISOR_RESTART_MAX_MS', 10_000, 0),
  maxRestarts: setting('SUPERVISOR_MAX_RESTARTS', 5, 0),
  restartWindowMs: setting('SUPERVISOR_RESTART_WINDOW_MS', 60_000, 1),
  // The children's own graceful budget; ours for each is that plus a margin.
  stopTimeoutMs: setting('SHUTDOWN_TIMEOUT_MS', 10_000, 1) + 5000,
};

const watch = process.argv.includes('--watch');
// ENGINE_FROM=build (npm start): the compiled JavaScript under dist/, as the image runs it;
// otherwise the sources under tsx (npm run dev, the tests).
const fromBuild = !watch && process.env.ENGINE_FROM === 'build';
const log = (message) => console.error(`[supervisor] ${message}`);

/** @type {Map<string, {name: string, entry: string, child?: import('node:child_process').ChildProcess, startedAt: number, restarts: number[], backoffMs: number, timer?: NodeJS.Timeout}>} */
const services = new Map(
  SERVICES.map((s) => [
    s.name,
    { ...s, startedAt: 0, restarts: [], backoffMs: settings.restartBaseMs, timer: undefined },
  ]),
);
let stopping = false;
let exitCode = 0;

function start(service) {
  service.timer = undefined;
  if (stopping) return;
  const args = fromBuild
    ? [`dist/${service.entry.replace(/\.ts$/, '.js')}`]
    : watch
      ? ['--import', 'tsx', '--watch', service.entry]
      : ['--import', 'tsx', service.entry];
  const child = spawn(process.execPath, args, {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    detached: true,
  });
  service.child = child;
  service.startedAt = Date.now();
  log(`${service.name} started (pid ${child.pid})`);
  child.on('error', (err) => log(`${service.name} could not be started: ${err.message}`));
  child.on('exit', (code, signal) => onExit(service, child, code, signal));
}

function onExit(service, child, code, signal) {
  if (service.child === child) service.child = undefined;
  const how = signal ? `signal ${signal}` : `code ${code}`;
  if (stopping) return; // shutdown() waits for it and says so
  if (code === EX_CONFIG) {
    log(`${service.name} refused its configuration (exit ${EX_CONFIG}); a restart cannot fix that`);
    exitCode = EX_CONFIG;
    void shutdown('configuration error');
    return;
  }
  const now = Date.now();
  service.restarts = service.restarts.filter((t) => now - t < settings.restartWindowMs);
  if (service.restarts.length >= settings.maxRestarts) {
    log(
      `crash loop: ${service.name} died again (${how}) after ${service.restarts.length} restarts ` +
        `within ${settings.restartWindowMs / 1000} s; giving up and stopping everything`,
    );
    exitCode = 1;
    void shutdown(`${service.name} crash loop`);
    return;
  }
  if (now - service.startedAt >= STABLE_MS) service.backoffMs = settings.restartBaseMs;
  const delay = service.backoffMs;
  service.backoffMs = Math.min(Math.max(delay * 2, 1), settings.restartMaxMs);
  service.restarts.push(now);
  log(
    `${service.name} (pid ${child.pid}) died (${how}); restarting in ${delay} ms ` +
      `(restart ${service.restarts.length} of at most ${settings.maxRestarts} ` +
      `within ${settings.restartWindowMs / 1000} s)`,
  );
  service.timer = setTimeout(() => start(service), delay);
}

/** SIGTERM, then SIGKILL after the budget; resolves once the child is gone. */
function stopChild(service) {
  const child = service.child;
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const started = Date.now();
  log(`stopping ${service.name} (pid ${child.pid})`);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      log(`${service.name} did not stop within ${settings.stopTimeoutMs} ms; killing it`);
      child.kill('SIGKILL');
    }, settings.stopTimeoutMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      log(
        `${service.name} stopped (${signal ? `signal ${signal}` : `code ${code}`}) in ${Date.now() - started} ms`,
      );
      resolve();
    });
    child.kill('SIGTERM');
  });
}

async function shutdown(reason) {
  if (stopping) return;
  stopping = true;
  log(`${reason}: draining api, then reaper, then worker`);
  for (const service of services.values()) clearTimeout(service.timer);
  for (const name of STOP_ORDER) {
    const service = services.get(name);
    if (service) await stopChild(service);
  }
  log(exitCode === 0 ? 'all stopped' : `all stopped; exit ${exitCode}`);
  process.exit(exitCode);
}

function force(signal) {
  log(`${signal} again: killing everything now`);
  for (const service of services.values()) service.child?.kill('SIGKILL');
  process.exit(exitCode || 130);
}

let firstSignalAt = 0;
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    const now = Date.now();
    if (!firstSignalAt) {
      firstSignalAt = now;
      void shutdown(`${signal} (again to force)`);
    } else if (now - firstSignalAt > SAME_SIGNAL_MS) {
      force(signal);
    }
  });
}

// npm gone (killed outright, or a shell between us that died): drain rather than orphan.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) void shutdown(`parent process ${parent} is gone`);
}, 250).unref();

for (const service of services.values()) start(service);
