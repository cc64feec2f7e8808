// Redis and CPU, read before and after a measured window: Redis's commands and CPU (INFO),
// the api's CPU and event-loop delay, this client's, the machine's; and which of Redis's
// clients are not the bench's (on a shared stack).
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { cpuSeconds, machineTicks, openFiles } from '../http/cpu.js';
import { apiPid, config, enginePids, metricsUrl, redis } from './setup.js';

async function redisCounters() {
  let calls = 0;
  const commands: Record<string, number> = {};
  for (const m of (await redis.info('commandstats')).matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    commands[m[1] as string] = Number(m[2]);
    calls += Number(m[2]);
  }
  const cpu = await redis.info('cpu');
  const seconds = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(cpu)?.[1]);
  const connections = Number(
    /^total_connections_received:(\d+)/m.exec(await redis.info('stats'))?.[1],
  );
  return {
    calls,
    commands,
    cpuSeconds: seconds('used_cpu_sys') + seconds('used_cpu_user'),
    connections,
  };
}

/** The socket inodes of this process and the engine's ("socket:[…]"). */
function ourSockets(): Set<string> {
  return new Set([process.pid, ...enginePids].flatMap(openFiles));
}

/**
 * The ports of this bench's connections to Redis (this process's and the engine's), by
 * their socket inodes in /proc/net/tcp (local address f[1], remote f[2], inode f[9]). Read
 * before a window, not during it: it reads every file descriptor of the api, thousands.
 */
export function ourRedisPorts(): Set<number> {
  const redisPort = Number(new URL(config.REDIS_URL).port || 6379);
  const portOf = (address: string | undefined) => Number.parseInt(address?.split(':')[1] ?? '', 16);
  const ours = ourSockets();
  const ports = new Set<number>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (portOf(f[2]) === redisPort && ours.has(`socket:[${f[9]}]`)) ports.add(portOf(f[1]));
    }
  }
  return ports;
}

/**
 * Redis's clients that are not this bench's and sent a command within the last `seconds`:
 * on a shared stack another bench's load shows in every Redis figure (INFO is per server).
 */
export async function otherActiveRedisClients(
  ours: Set<number>,
  seconds: number,
): Promise<string[]> {
  const others: string[] = [];
  for (const line of ((await redis.client('LIST')) as string).split('\n')) {
    const port = Number(/ addr=[^ ]*:(\d+) /.exec(` ${line}`)?.[1]);
    const idle = Number(/ idle=(\d+)/.exec(line)?.[1]);
    if (port && idle < seconds && !ours.has(port))
      others.push(`${/ name=(\S*)/.exec(line)?.[1] || 'unnamed'}:${port}`);
  }
  return others;
}

export async function snapshot() {
  return {
    at: performance.now(),
    redis: await redisCounters(),
    api: cpuSeconds(apiPid),
    client: process.cpuUsage(),
    machine: machineTicks(),
  };
}

/**
 * The p99 of the api's event-loop delay since the last call, ms (prom-client's default
 * metrics: each scrape reports the delays since the one before, then starts afresh).
 */
export async function apiLoopDelayP99() {
  const text = await (await fetch(metricsUrl)).text();
  return 1000 * Number(/^nodejs_eventloop_lag_p99_seconds(?:\{[^}]*\})? (\S+)/m.exec(text)?.[1]);
}
