// Runs an entry point (api/main.ts, ...) as a real process, the way `npm start` does.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { serviceEnv } from './services.js';

export interface RunningProcess {
  child: ChildProcess;
  output: () => string;
  /** Resolves with the exit code (or signal name). */
  exited: Promise<number | string>;
}

export function runEntry(
  entry: string,
  env: Record<string, string> = {},
  argv: string[] = [],
): RunningProcess {
  // .mjs launchers run as they are; TypeScript entry points through tsx, as npm start does.
  const args = [...(entry.endsWith('.mjs') ? [entry] : ['--import', 'tsx', entry]), ...argv];
  return runCommand(process.execPath, args, env);
}

/** Any command (`npm start`, ...) with the test services' environment. */
export function runCommand(
  command: string,
  args: string[],
  env: Record<string, string> = {},
): RunningProcess {
  const childEnv: NodeJS.ProcessEnv = {
    ...process.env,
    ...serviceEnv(),
    NODE_ENV: 'test',
    LOG_LEVEL: 'info',
    // Ops servers on any free port unless a test names one: files run in parallel.
    API_METRICS_PORT: '0',
    WORKER_METRICS_PORT: '0',
    REAPER_METRICS_PORT: '0',
    ...env,
  };
  // A test that points REDIS_URL somewhere (a dead port) means that one, not the cluster.
  if (env.REDIS_URL && !env.REDIS_CLUSTER_NODES) delete childEnv.REDIS_CLUSTER_NODES;
  const child = spawn(command, args, {
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d) => {
    out += d;
  });
  child.stderr?.on('data', (d) => {
    out += d;
  });
  const exited = once(child, 'exit').then(([code, signal]) => (code ?? signal) as number | string);
  return { child, output: () => out, exited };
}

/** Sends `signal` (SIGTERM by default) and waits for the exit, failing after `ms`. */
export async function terminate(
  p: RunningProcess,
  ms = 15_000,
  signal: NodeJS.Signals = 'SIGTERM',
): Promise<number | string> {
  p.child.kill(signal);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      p.child.kill('SIGKILL');
      reject(new Error(`no exit ${ms} ms after SIGTERM:\n${p.output()}`));
    }, ms);
  });
  return Promise.race([p.exited, timeout]).finally(() => clearTimeout(timer));
}
