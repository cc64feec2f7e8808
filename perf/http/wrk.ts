// The load generator of `npm run perf:http`: wrk (a native one, so the generator's own cost is
// small and measured apart), one thread, keep-alive connections, with perf/http/wrk/phase.lua.
// Its figures come from its own report (requests/s, the --latency distribution, non-2xx
// count, socket errors) and from the script's done() line (answers per status code). Its
// CPU is read the way the kernel accounts it: wrk runs under `sh -c`, which after waiting
// for it prints the CPU its children used (`times`).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('./wrk/phase.lua', import.meta.url));
const WRK = process.env.BENCH_WRK ?? 'wrk';

export interface WrkOptions {
  url: string;
  connections: number;
  /** Seconds; for a confirm phase the upper bound (it ends once every hold is answered). */
  duration: number;
  mode: 'plain' | 'reserve' | 'confirm' | 'poll';
  /** plain: extra request headers (wrk -H). */
  headers?: Record<string, string>;
  /** reserve, confirm: "<userId>\t<authorization>" lines. */
  usersFile?: string;
  /** reserve: the JSON body. */
  body?: string;
  /** reserve: where the holds made go ("<holdId>\t<userId>" lines). */
  holdsOut?: string;
  /** confirm: the holds to confirm. */
  holdsIn?: string;
  /** poll: "<authorization>\t<Queue-Ticket>" lines, GET round-robin over them. */
  pollsFile?: string;
  /**
   * A pace instead of as fast as it can: each connection waits about this many ms before
   * each request (phase.lua's delay()), so the rate is about connections × 1000 / (delayMs
   * + latency) per second.
   */
  delayMs?: number;
}

export interface WrkResult {
  /** Answers received. */
  requests: number;
  seconds: number;
  rps: number;
  /** ms */
  p50: number;
  p99: number;
  max: number;
  /** wrk's count of answers ≥ 400 ("Non-2xx or 3xx responses"). */
  non2xx: number;
  /** Answers by status code, plus wrk's socket errors as "error" when there were any. */
  statuses: Record<string, number>;
  /** CPU seconds wrk used (user + system). */
  cpuSeconds: number;
  /** reserve: the holds written to holdsOut, and 201s whose body had no id or userId. */
  holdsWritten: number;
  holdsUnparsed: number;
}

interface ScriptLine {
  durationUs: number;
  requests: number;
  errors: { connect: number; read: number; write: number; status: number; timeout: number };
  statuses: Record<string, number>;
  latencyUs: { p50: number; p99: number; max: number };
  holdsWritten: number;
  holdsUnparsed: number;
}

const UNIT_MS: Record<string, number> = { us: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** "1.23ms" → 1.23 (ms). */
function ms(value: string | undefined): number {
  const match = /^([\d.]+)(us|ms|s|m|h)$/.exec(value ?? '');
  if (!match) return Number.NaN;
  return Number(match[1]) * (UNIT_MS[match[2] as string] as number);
}

/** Parses wrk's report (with --latency) and the script's result line. */
export function parseWrkOutput(stdout: string): Omit<WrkResult, 'cpuSeconds'> {
  const need = (re: RegExp, what: string) => {
    const match = re.exec(stdout);
    if (!match) throw new Error(`wrk output without ${what}:\n${stdout}`);
    return match;
  };
  const line = need(/^BENCH_WRK_RESULT (.*)$/m, 'the script result line');
  const script = JSON.parse(line[1] as string) as ScriptLine;
  const requests = Number(need(/^\s*(\d+) requests in ([\d.]+\w+)/m, 'a request count')[1]);
  const seconds = ms(need(/^\s*\d+ requests in ([\d.]+\w+)/m, 'a duration')[1]) / 1000;
  const rps = Number(need(/^Requests\/sec:\s+([\d.]+)/m, 'Requests/sec')[1]);
  const p50 = ms(need(/^\s+50%\s+(\S+)/m, 'the latency distribution (--latency)')[1]);
  const p99 = ms(need(/^\s+99%\s+(\S+)/m, 'the 99th percentile')[1]);
  const max = ms(need(/^\s+Latency\s+\S+\s+\S+\s+(\S+)/m, 'the latency line')[1]);
  const non2xx = Number(/^\s*Non-2xx or 3xx responses: (\d+)/m.exec(stdout)?.[1] ?? 0);
  const statuses = { ...script.statuses };
  const { connect, read, write, timeout } = script.errors;
  if (connect + read + write + timeout > 0) statuses.error = connect + read + write + timeout;
  const counted = Object.values(script.statuses).reduce((a, n) => a + n, 0);
  const refused = Object.entries(script.statuses).reduce(
    (a, [code, n]) => a + (Number(code) > 399 ? n : 0),
    0,
  );
  if (refused !== non2xx)
    throw new Error(`wrk counted ${non2xx} answers ≥ 400, the script ${refused}:\n${stdout}`);
  if (counted !== requests)
    throw new Error(`wrk counted ${requests} answers, the script ${counted}:\n${stdout}`);
  return {
    requests,
    seconds,
    rps,
    p50,
    p99,
    max,
    non2xx,
    statuses,
    holdsWritten: script.holdsWritten,
    holdsUnparsed: script.holdsUnparsed,
  };
}

/** `times` of sh: its own user and system time, then its children's. */
function childrenCpuSeconds(stdout: string): number {
  const lines = stdout.trimEnd().split('\n');
  const match = /(\d+)m([\d.]+)s\s+(\d+)m([\d.]+)s/.exec(lines[lines.length - 1] ?? '');
  if (!match) throw new Error(`no CPU times after wrk's output:\n${stdout}`);
  const [, um, us, sm, ss] = match.map(Number) as number[];
  return (um as number) * 60 + (us as number) + (sm as number) * 60 + (ss as number);
}

export async function runWrk(options: WrkOptions): Promise<WrkResult> {
  const args = [
    '-t1',
    `-c${options.connections}`,
    `-d${Math.max(1, Math.round(options.duration))}s`,
    '--latency',
    '--timeout',
    '10s',
    '-s',
    SCRIPT,
    ...Object.entries(options.headers ?? {}).flatMap(([name, value]) => [
      '-H',
      `${name}: ${value}`,
    ]),
    options.url,
  ];
  const child = spawn('sh', ['-c', `"$@"; status=$?; times; exit $status`, 'sh', WRK, ...args], {
    env: {
      ...process.env,
      BENCH_WRK_MODE: options.mode,
      BENCH_WRK_USERS: options.usersFile ?? '',
      BENCH_WRK_BODY: options.body ?? '',
      BENCH_WRK_HOLDS_OUT: options.holdsOut ?? '',
      BENCH_WRK_HOLDS_IN: options.holdsIn ?? '',
      BENCH_WRK_POLLS: options.pollsFile ?? '',
      BENCH_WRK_DELAY_MS: String(options.delayMs ?? 0),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  if (code !== 0) throw new Error(`wrk exited with ${code}:\n${stdout}`);
  return { ...parseWrkOutput(stdout), cpuSeconds: childrenCpuSeconds(stdout) };
}
