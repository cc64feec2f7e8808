// What `npm run perf:http` prints and keeps: each phase as a ratio to the two baselines,
// its cost per request by process, and the raw figures.
import { mkdirSync, writeFileSync } from 'node:fs';
import type { PhaseResult } from './load.js';
import { API_ONLY, CONNECTIONS, MODE, RESULT_FILE, SECONDS, WARMUP_SECONDS } from './settings.js';

/** Markdown tables for BENCHMARKS.md, and the raw figures in RESULT_FILE. */
export function report({
  results,
  notes,
  failed,
  holdsMade,
  holdsConfirmed,
}: {
  results: PhaseResult[];
  notes: string[];
  failed: boolean;
  holdsMade: number;
  holdsConfirmed: number;
}) {
  const hellos = results.filter((r) => r.target === 'baseline');
  const helloRps = hellos.reduce((a, r) => a + r.rps, 0) / hellos.length;
  const prototypeRps = results.find((r) => r.target === 'prototype')?.rps ?? Number.NaN;
  const n = (value: number | null | undefined) =>
    value === null || value === undefined || !Number.isFinite(value) ? '–' : String(value);
  const processes = ['server', 'redis', 'reaper', 'worker', 'kafka', 'postgres'];
  const allProcesses = (r: PhaseResult) =>
    processes.reduce((a, key) => a + (r.cpuUsPerRequest[key] ?? 0), 0);
  const statuses = (r: PhaseResult) =>
    Object.entries(r.statuses)
      .map(([code, count]) => `${code}: ${count.toLocaleString('en')}`)
      .join(', ');
  const throughput = (r: PhaseResult) =>
    `| ${r.name} | ${Math.round(r.rps).toLocaleString('en')} | ${(r.rps / helloRps).toFixed(2)}× | ${(r.rps / prototypeRps).toFixed(2)}× | ${r.p50} / ${r.p99} / ${r.max} ms | ${statuses(r)} | ${r.rssPeakMb.toFixed(0)} MB | ${[...processes, 'wrk', 'machine'].map((key) => n(r.cpu[key])).join(' / ')} |`;
  const cost = (r: PhaseResult) =>
    `| ${r.name} | ${[...processes, 'wrk'].map((key) => n(r.cpuUsPerRequest[key])).join(' / ')} | ${allProcesses(r)} | ${n(r.redis.evalshaUsPerCall)} | ${n(r.redis.commandUsPerRequest)} | ${n(r.redis.commandsPerRequest)} (${n(r.redis.netCommandsPerRequest)}) |`;
  console.log(
    [
      `${new Date().toISOString()}, ${MODE}; wrk -t1 -c${CONNECTIONS}, ${SECONDS} s per phase after ${WARMUP_SECONDS} s of warm-up (confirm: once per hold). hello = mean of the two hello phases (${Math.round(helloRps).toLocaleString('en')} req/s), prototype = the bare reserve (${Math.round(prototypeRps).toLocaleString('en')} req/s).`,
      '',
      '| phase | req/s | vs hello | vs prototype | p50 / p99 / max | answers | peak RSS of the server | CPU % server / redis / reaper / worker / kafka / postgres / wrk / machine |',
      '|---|---:|---:|---:|---:|---|---:|---:|',
      ...results.map(throughput),
      '',
      '| phase | CPU µs per request: server / redis / reaper / worker / kafka / postgres / wrk | all but wrk | Redis: evalsha µs per call | Redis: command µs per request | Redis: commands per request (net of the idle background) |',
      '|---|---:|---:|---:|---:|---:|',
      ...results.map(cost),
      '',
      `${holdsMade.toLocaleString('en')} holds made and ${holdsConfirmed.toLocaleString('en')} confirmed over HTTP; Redis agrees, the API shows the same stock, and the SPEC §3 invariants hold${failed ? ' (NOT: see the FAIL lines)' : ''}.`,
      ...notes.map((note) => `${note[0]?.toUpperCase()}${note.slice(1)}.`),
    ].join('\n'),
  );
  mkdirSync('.stack', { recursive: true });
  writeFileSync(
    RESULT_FILE,
    JSON.stringify(
      {
        mode: API_ONLY ? 'api-only' : 'whole-engine',
        helloRps,
        prototypeRps,
        results,
        holdsMade,
        holdsConfirmed,
        notes,
      },
      null,
      2,
    ),
  );
}
