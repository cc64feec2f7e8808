// One load phase of `npm run perf:http`: wrk (perf/http/wrk.ts) against one server for a fixed time
// (a confirm phase: until every hold is answered), and around it what the phase cost: the
// CPU of every process of the system, wrk's own, the machine's; the target's peak resident
// memory; and Redis's own account of its command time (INFO commandstats).
import { readdirSync, readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import { machineTicks, rssMb } from './cpu.js';
import { runWrk, type WrkOptions } from './wrk.js';

/** A process whose CPU a phase reports: CPU seconds so far (NaN when it is not there). */
export type CpuSource = () => number;

export interface RedisPhaseStats {
  /**
   * Redis's counters went back during the phase (CONFIG RESETSTAT, a restart): the figures
   * below are null and `commands` is empty.
   */
  reset: boolean;
  evalshaCalls: number;
  /** Mean time of one EVALSHA, the commands its script runs included. */
  evalshaUsPerCall: number | null;
  /**
   * Redis command time per request: EVALSHA/EVAL plus every command no script calls.
   * Redis counts a command a script runs both inside the script's time and under its own
   * name, so commands that the scripts call (lua/, perf/http/prototype/) are left out; one of
   * them sent directly by a client (a plain GET, SET…) is left out with them.
   */
  commandUsPerRequest: number | null;
  /**
   * Redis commands per request: every call Redis counted during the phase (the ones a
   * script runs included, and whatever the rest of the engine sent meanwhile) over the
   * requests answered. What one event's shard serves for each request of the crowd.
   */
  commandsPerRequest: number | null;
  /**
   * The same with what Redis served while the engine was idle (its background: expiry
   * ticks, admission steps, the relay's look at every live event's outbox), measured for a
   * second before the phase, taken out: what the requests themselves cost the shard.
   */
  netCommandsPerRequest: number | null;
  /** Every command's calls and µs during the phase, as Redis reports them. */
  commands: Record<string, { calls: number; usec: number }>;
}

export interface PhaseResult {
  name: string;
  /** The process the load went to (baseline, prototype, api). */
  target: string;
  requests: number;
  seconds: number;
  rps: number;
  /** ms */
  p50: number;
  p99: number;
  max: number;
  /** Answers by status code, plus wrk's socket errors as "error". */
  statuses: Record<string, number>;
  /** Peak resident set of the target process during the phase, MB. */
  rssPeakMb: number;
  /**
   * CPU used during the phase in % of one core, by the target ("server"), each other
   * process measured (null when it does not run in this mode), wrk; and "machine": how busy
   * the machine was, in % of all its cores.
   */
  cpu: Record<string, number | null>;
  /** CPU µs one request cost each process (the same keys as cpu, without machine). */
  cpuUsPerRequest: Record<string, number | null>;
  redis: RedisPhaseStats;
  /** reserve phases: holds written for the confirm phase. */
  holds?: number;
}

type CommandStats = Record<string, { calls: number; usec: number }>;

async function commandStats(redis: Redis): Promise<CommandStats> {
  const stats: CommandStats = {};
  for (const match of (await redis.info('commandstats')).matchAll(
    /^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/gm,
  ))
    stats[match[1] as string] = { calls: Number(match[2]), usec: Number(match[3]) };
  return stats;
}

/** Names of the commands the engine's and the prototype's scripts call (lower case). */
function commandsInScripts(): Set<string> {
  const sources = [readFileSync(new URL('./prototype/reserve.lua', import.meta.url), 'utf8')];
  for (const dir of ['lua', 'lua/includes']) {
    let files: string[] = [];
    try {
      files = readdirSync(dir).filter((file) => file.endsWith('.lua'));
    } catch {
      // no such folder
    }
    for (const file of files) sources.push(readFileSync(`${dir}/${file}`, 'utf8'));
  }
  const names = new Set<string>();
  for (const source of sources)
    for (const match of source.matchAll(/redis\.p?call\(\s*['"](\w+)['"]/g))
      names.add((match[1] as string).toLowerCase());
  return names;
}

const SCRIPT_COMMANDS = new Set(['evalsha', 'eval', 'evalsha_ro', 'eval_ro', 'fcall', 'fcall_ro']);

const totalCalls = (stats: CommandStats) =>
  Object.values(stats).reduce((sum, { calls }) => sum + calls, 0);

function redisPhaseStats(
  before: CommandStats,
  after: CommandStats,
  requests: number,
  nested: Set<string>,
  idleCalls: number,
): RedisPhaseStats {
  const commands: CommandStats = {};
  let topLevelUsec = 0;
  let calls = 0;
  const reset = {
    reset: true,
    evalshaCalls: 0,
    evalshaUsPerCall: null,
    commandUsPerRequest: null,
    commandsPerRequest: null,
    netCommandsPerRequest: null,
  };
  if (Object.keys(before).some((name) => !after[name])) return { ...reset, commands: {} };
  for (const [name, a] of Object.entries(after)) {
    const b = before[name] ?? { calls: 0, usec: 0 };
    if (a.calls === b.calls) continue;
    if (a.calls < b.calls || a.usec < b.usec) return { ...reset, commands: {} };
    commands[name] = { calls: a.calls - b.calls, usec: a.usec - b.usec };
    calls += a.calls - b.calls;
    if (SCRIPT_COMMANDS.has(name) || !nested.has(name)) topLevelUsec += a.usec - b.usec;
  }
  const evalsha = commands.evalsha;
  return {
    reset: false,
    evalshaCalls: evalsha?.calls ?? 0,
    evalshaUsPerCall: evalsha ? round(evalsha.usec / evalsha.calls, 1) : null,
    commandUsPerRequest: round(topLevelUsec / Math.max(1, requests), 1),
    commandsPerRequest: round(calls / Math.max(1, requests), 3),
    netCommandsPerRequest: round(Math.max(0, calls - idleCalls) / Math.max(1, requests), 3),
    commands,
  };
}

const round = (n: number, digits = 0) => Math.round(n * 10 ** digits) / 10 ** digits;

export interface PhaseTarget {
  name: string;
  pid: number;
}

export async function runPhase(
  name: string,
  target: PhaseTarget,
  processes: Record<string, CpuSource>,
  redis: Redis,
  options: WrkOptions,
): Promise<PhaseResult> {
  const nested = commandsInScripts();
  // The target is "server"; the other processes keep their names.
  const sources: Record<string, CpuSource> = {};
  for (const [key, source] of Object.entries(processes))
    sources[key === target.name ? 'server' : key] = source;
  const cpuNow = () =>
    Object.fromEntries(Object.entries(sources).map(([key, source]) => [key, source()]));
  // The background: what Redis serves in a second with no request coming.
  const idleBefore = await commandStats(redis);
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const statsBefore = await commandStats(redis);
  const idleCallsPerSecond = totalCalls(statsBefore) - totalCalls(idleBefore) - 1;
  const cpuBefore = cpuNow();
  const machineBefore = machineTicks();
  let rssPeakMb = rssMb(target.pid);
  const sampler = setInterval(() => {
    rssPeakMb = Math.max(rssPeakMb, rssMb(target.pid));
  }, 200);
  try {
    const wrk = await runWrk(options);
    const cpuAfter = cpuNow();
    const machine = machineTicks();
    const statsAfter = await commandStats(redis);
    const used: Record<string, number | null> = {};
    for (const key of Object.keys(sources)) {
      const delta = (cpuAfter[key] as number) - (cpuBefore[key] as number);
      used[key] = Number.isFinite(delta) ? delta : null;
    }
    used.wrk = wrk.cpuSeconds;
    const cpu: Record<string, number | null> = {};
    const cpuUsPerRequest: Record<string, number | null> = {};
    for (const [key, seconds] of Object.entries(used)) {
      cpu[key] = seconds === null ? null : Math.round((100 * seconds) / wrk.seconds);
      cpuUsPerRequest[key] =
        seconds === null ? null : Math.round((seconds * 1e6) / Math.max(1, wrk.requests));
    }
    cpu.machine = Math.round(
      (100 * (machine.busy - machineBefore.busy)) / (machine.total - machineBefore.total),
    );
    return {
      name,
      target: target.name,
      requests: wrk.requests,
      seconds: round(wrk.seconds, 2),
      rps: wrk.rps,
      p50: wrk.p50,
      p99: wrk.p99,
      max: wrk.max,
      statuses: wrk.statuses,
      rssPeakMb,
      cpu,
      cpuUsPerRequest,
      redis: redisPhaseStats(
        statsBefore,
        statsAfter,
        wrk.requests,
        nested,
        idleCallsPerSecond * wrk.seconds,
      ),
      ...(options.holdsOut ? { holds: wrk.holdsWritten } : {}),
    };
  } finally {
    clearInterval(sampler);
  }
}
