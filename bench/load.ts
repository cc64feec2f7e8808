// One load phase of `npm run bench`: autocannon against one URL for a fixed time (or a
// fixed number of requests), with the target process's resident memory sampled meanwhile.
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';

export interface PhaseResult {
  name: string;
  requests: number;
  rps: number;
  p50: number;
  p99: number;
  max: number;
  /** Answers by status code, plus connection errors as "error". */
  statuses: Record<string, number>;
  /** Peak resident set of the target process during the phase, MB. */
  rssPeakMb: number;
  /**
   * CPU used during the phase, in % of one core: by the target, the other processes named,
   * the load generator; and how busy the machine was, in % of all its cores.
   */
  cpu: { target: number; loadGenerator: number; machine: number } & Record<string, number>;
}

export type LoadOptions = Pick<
  autocannon.Options,
  'url' | 'connections' | 'duration' | 'amount' | 'method' | 'headers' | 'body' | 'requests'
>;

/** CPU seconds (user + system) a process has used so far (Linux /proc). */
export function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in 1/100 s
}

/** Busy and total CPU time of the whole machine so far, in ticks (Linux /proc/stat). */
function machineTicks(): { busy: number; total: number } {
  const ticks = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '')
    .split(/\s+/)
    .slice(1)
    .map(Number);
  const total = ticks.reduce((a, b) => a + b, 0);
  return { busy: total - (ticks[3] ?? 0) - (ticks[4] ?? 0), total }; // minus idle, iowait
}

/** Resident set size of a process, MB (Linux /proc). */
export function rssMb(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : Number.NaN;
}

export async function runPhase(
  name: string,
  { pid, others }: { pid: number; others: Record<string, number> },
  options: LoadOptions,
) {
  const startedAt = performance.now();
  const cpuOf = () => ({
    target: cpuSeconds(pid),
    ...Object.fromEntries(Object.entries(others).map(([name, p]) => [name, cpuSeconds(p)])),
  });
  const started: Record<string, number> = cpuOf();
  const ownStart = process.cpuUsage();
  const machineStart = machineTicks();
  let rssPeakMb = rssMb(pid);
  const sampler = setInterval(() => {
    rssPeakMb = Math.max(rssPeakMb, rssMb(pid));
  }, 200);
  try {
    const result = await autocannon({ ...options, timeout: 10 });
    const statuses: Record<string, number> = {};
    for (const [code, { count = 0 }] of Object.entries(result.statusCodeStats ?? {}))
      statuses[code] = count;
    if (result.errors) statuses.error = result.errors;
    const requests = Object.values(statuses).reduce((a, b) => a + b, 0);
    const seconds = (performance.now() - startedAt) / 1000;
    const own = process.cpuUsage(ownStart);
    const share = (cpu: number) => Math.round((100 * cpu) / seconds);
    const machine = machineTicks();
    return {
      name,
      requests,
      rps: requests / result.duration,
      p50: result.latency.p50,
      p99: result.latency.p99,
      max: result.latency.max,
      statuses,
      rssPeakMb,
      cpu: {
        ...Object.fromEntries(
          Object.entries(cpuOf()).map(([name, used]) => [name, share(used - (started[name] ?? 0))]),
        ),
        target: share(cpuSeconds(pid) - (started.target ?? 0)),
        loadGenerator: share((own.user + own.system) / 1e6),
        machine: Math.round(
          (100 * (machine.busy - machineStart.busy)) / (machine.total - machineStart.total),
        ),
      },
    } satisfies PhaseResult;
  } finally {
    clearInterval(sampler);
  }
}
