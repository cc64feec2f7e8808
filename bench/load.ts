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
  /** CPU used during the phase, in % of one core: by the target, Redis, the load generator. */
  cpu: { target: number; redis: number; loadGenerator: number };
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

/** Resident set size of a process, MB (Linux /proc). */
export function rssMb(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : Number.NaN;
}

export async function runPhase(
  name: string,
  { pid, redisPid }: { pid: number; redisPid: number },
  options: LoadOptions,
) {
  const started = { at: performance.now(), target: cpuSeconds(pid), redis: cpuSeconds(redisPid) };
  const ownStart = process.cpuUsage();
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
    const seconds = (performance.now() - started.at) / 1000;
    const own = process.cpuUsage(ownStart);
    const share = (cpu: number) => Math.round((100 * cpu) / seconds);
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
        target: share(cpuSeconds(pid) - started.target),
        redis: share(cpuSeconds(redisPid) - started.redis),
        loadGenerator: share((own.user + own.system) / 1e6),
      },
    } satisfies PhaseResult;
  } finally {
    clearInterval(sampler);
  }
}
