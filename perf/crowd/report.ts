// The crowd bench's table: one row a crowd size, Redis's figures marked when other
// processes used Redis during the window.
import type { SizeResult } from './size.js';

export const int = (n: number) => Math.round(n).toLocaleString('en');
export const ms = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : '–');

/** Marks a Redis figure that other processes' load is part of. */
const shared = (r: SizeResult) => (r.otherRedisClients > 0 ? ' *' : '');

export function table(results: SizeResult[]) {
  return [
    '| crowd | polls/s offered | polls/s driven | availability polls/s | open streams (events/s) | reserves/s | Redis commands/s | Redis CPU ms/s | poll p50 / p99 ms | reserve p50 / p99 ms (non-201) | api CPU % (loop delay p99 ms) | wrk / client CPU % (client loop delay p99 ms) | machine % |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...results.map(
      (r) =>
        `| ${int(r.size)} | ${int(r.offeredPolls)} | ${int(r.polls.rps)} | ${int(r.availability.rps)} | ${int(r.streams)} (${int(r.streamEventsPerSecond)}) | ${r.reservesPerSecond.toFixed(1)} | ${int(r.redisCallsPerSecond)}${shared(r)} | ${r.redisCpuMsPerSecond.toFixed(1)}${shared(r)} | ${ms(r.polls.p50)} / ${ms(r.polls.p99)} | ${ms(r.reserveP50)} / ${ms(r.reserveP99)} (${r.reserveNon201}) | ${r.apiCpu} (${ms(r.apiLoopDelayP99)}) | ${r.wrkCpu} / ${r.clientCpu} (${ms(r.clientLoopDelayP99)}) | ${r.machineCpu} |`,
    ),
    ...(results.some((r) => r.otherRedisClients > 0)
      ? [
          '',
          `\\* Redis was shared: ${results.map((r) => `${int(r.size)} fans: ${r.otherRedisClients}`).join(', ')} clients (or new connections) of other processes used Redis during the window, and Redis counts commands and CPU per server.`,
        ]
      : []),
  ].join('\n');
}
