// One crowd size: its polls, watchers and buyers warmed up, then measured for CROWD_SECONDS
// with Redis, the api, wrk and this client read around the window.
import { runWrk, type WrkResult } from '../http/wrk.js';
import {
  clientLoop,
  keepStreams,
  pace,
  reserves,
  runBuyers,
  streams,
  writePolls,
} from './clients.js';
import { apiLoopDelayP99, otherActiveRedisClients, ourRedisPorts, snapshot } from './measure.js';
import {
  BUYER_RATE,
  call,
  fail,
  MAX_AVAILABILITY,
  MAX_POLLS,
  MAX_STREAMS,
  pollsFile,
  SECONDS,
  url,
  WARMUP_SECONDS,
} from './setup.js';

export interface SizeResult {
  size: number;
  sample: number;
  retryAfter: number;
  offeredPolls: number;
  polls: WrkResult;
  availability: WrkResult;
  availabilityTarget: number;
  streams: number;
  streamEventsPerSecond: number;
  reservesPerSecond: number;
  reserveP50: number;
  reserveP99: number;
  reserveNon201: number;
  redisCallsPerSecond: number;
  redisCpuMsPerSecond: number;
  /** Redis clients of other processes active during the window (a shared stack) */
  otherRedisClients: number;
  topCommands: string;
  apiCpu: number;
  apiLoopDelayP99: number;
  wrkCpu: number;
  clientCpu: number;
  /** this process's event-loop delay p99, ms: how much of a reserve's time is the client's */
  clientLoopDelayP99: number;
  machineCpu: number;
}

const quantile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? Number.NaN;

function checkAnswers(what: string, result: WrkResult) {
  const other = Object.entries(result.statuses).filter(([code]) => code !== '200');
  if (other.length) fail(`${what}: answers other than 200: ${JSON.stringify(other)}`);
}

export async function runSize(
  eventId: string,
  categoryId: string,
  size: number,
): Promise<SizeResult> {
  const queue = await call(`/v1/events/${eventId}/queue`, undefined);
  const { sample, probe } = writePolls(eventId, size, Number(queue.admittedTotal ?? 0));
  // What the api tells a fan in the middle of this crowd: the crowd's pace.
  const probed = await fetch(url(`/v1/events/${eventId}/queue/me`), {
    headers: { authorization: probe.authorization, 'queue-ticket': probe.ticket },
  });
  const ticket = (await probed.json()) as { status?: string; position?: number };
  const retryAfter = Number(probed.headers.get('retry-after'));
  if (probed.status !== 200 || ticket.status !== 'waiting' || !(retryAfter > 0))
    throw new Error(`probe poll: ${probed.status} ${JSON.stringify(ticket)}`);
  const offeredPolls = size / retryAfter;
  const pollRate = Math.min(offeredPolls, MAX_POLLS);
  const availabilityTarget = Math.min((size * 0.1) / 30, MAX_AVAILABILITY);
  const streamCount = Math.min(Math.floor(size / 100), MAX_STREAMS);
  await keepStreams(eventId, streamCount);
  console.error(
    `[crowd] ${size.toLocaleString('en')} fans (middle one at position ${ticket.position}, Retry-After ${retryAfter} s): ${Math.round(offeredPolls)} polls/s offered, ${Math.round(pollRate)} driven over ${sample} fans; ${Math.round(availabilityTarget)} availability polls/s; ${streams.length} streams open; ${BUYER_RATE} reserves/s`,
  );

  const queueMe = url(`/v1/events/${eventId}/queue/me`);
  const availabilityUrl = url(`/v1/events/${eventId}/availability`);
  const load = (seconds: number) =>
    Promise.all([
      runWrk({ url: queueMe, mode: 'poll', pollsFile, duration: seconds, ...pace(pollRate) }),
      runWrk({
        url: availabilityUrl,
        mode: 'plain',
        duration: seconds,
        ...pace(availabilityTarget),
      }),
    ]);

  const buying = { on: true };
  const buyersDone = runBuyers(eventId, categoryId, buying);
  // The warm-up: every fan's token verified once, every connection open.
  const [warmPolls, warmAvailability] = await load(WARMUP_SECONDS);
  checkAnswers('queue/me (warm-up)', warmPolls);
  checkAnswers('availability (warm-up)', warmAvailability);
  const eventsBefore = streams.reduce((n, s) => n + s.events, 0);
  const ours = ourRedisPorts();
  await apiLoopDelayP99(); // starts the api's event-loop histogram afresh
  clientLoop.reset();
  const before = await snapshot();
  // Other processes' clients of Redis, looked for every second.
  const others = new Set<string>();
  const watch = setInterval(() => {
    otherActiveRedisClients(ours, 2).then(
      (found) => {
        for (const client of found) others.add(client);
      },
      (err: unknown) => fail(`CLIENT LIST: ${(err as Error).message}`),
    );
  }, 1000);
  const [polls, availability] = await load(SECONDS);
  clearInterval(watch);
  const after = await snapshot();
  const loopDelayP99 = await apiLoopDelayP99();
  // Clients that came and went between two looks show as connections received.
  const connected = after.redis.connections - before.redis.connections;
  if (connected > 0) others.add(`${connected} new connection(s)`);
  if (others.size > 0)
    console.error(`[crowd] Redis is shared, other processes' clients: ${[...others].join(', ')}`);
  const clientLoopDelayP99 = clientLoop.percentile(99) / 1e6;
  buying.on = false;
  await buyersDone;
  checkAnswers('queue/me', polls);
  checkAnswers('availability', availability);
  const stillOpen = streams.filter((s) => s.open).length;
  if (stillOpen < streamCount) fail(`${streamCount - stillOpen} streams closed during the run`);

  const seconds = (after.at - before.at) / 1000;
  const measured = reserves.filter((r) => r.sentAt >= before.at && r.sentAt < after.at);
  const latencies = measured.map((r) => r.ms).sort((a, b) => a - b);
  const non201 = measured.filter((r) => r.status !== 201);
  if (non201.length)
    fail(
      `${size} fans: ${non201.length} reserves not 201 (${[...new Set(non201.map((r) => r.status))].join(', ')})`,
    );
  const commands = Object.entries(after.redis.commands)
    .map(([name, calls]) => [name, (calls - (before.redis.commands[name] ?? 0)) / seconds] as const)
    .filter(([, rate]) => rate >= 1)
    .sort((a, b) => b[1] - a[1]);
  const client =
    (after.client.user + after.client.system - before.client.user - before.client.system) / 1e6;
  const wrkCpu = polls.cpuSeconds + availability.cpuSeconds;
  const percent = (cpu: number) => Math.round((100 * cpu) / seconds);
  return {
    size,
    sample,
    retryAfter,
    offeredPolls,
    polls,
    availability,
    availabilityTarget,
    streams: stillOpen,
    streamEventsPerSecond: (streams.reduce((n, s) => n + s.events, 0) - eventsBefore) / seconds,
    reservesPerSecond: measured.length / seconds,
    reserveP50: quantile(latencies, 0.5),
    reserveP99: quantile(latencies, 0.99),
    reserveNon201: non201.length,
    redisCallsPerSecond: (after.redis.calls - before.redis.calls) / seconds,
    otherRedisClients: others.size,
    redisCpuMsPerSecond: (1000 * (after.redis.cpuSeconds - before.redis.cpuSeconds)) / seconds,
    topCommands: commands
      .slice(0, 6)
      .map(([name, rate]) => `${name} ${Math.round(rate)}`)
      .join(', '),
    apiCpu: percent(after.api - before.api),
    apiLoopDelayP99: loopDelayP99,
    wrkCpu: percent(wrkCpu),
    clientCpu: percent(client),
    clientLoopDelayP99,
    machineCpu: Math.round(
      (100 * (after.machine.busy - before.machine.busy)) /
        (after.machine.total - before.machine.total),
    ),
  };
}
