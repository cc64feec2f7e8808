// Loads lua/<name>-<numberOfKeys>.lua into ioredis with defineCommand: EVALSHA, with the
// script sent again only when Redis answers NOSCRIPT. `-n` in place of the number: the
// caller's keys are counted on each call (a group of reserves, reserveBatch-n.lua). `--- @include "x"` pulls in
// lua/includes/x.lua (each once), so helpers are written once and shared.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Counter, type Registry } from 'prom-client';
import { childrenByKey, hotHistogram } from '../../platform/hot-metrics.js';
import { fromRoot } from '../../platform/paths.js';
import type { RedisClient } from '../../platform/redis.js';

export interface ScriptSource {
  name: string;
  /** undefined: as many as each call gives */
  numberOfKeys: number | undefined;
  lua: string;
}

const SCRIPT_FILE = /^([a-zA-Z]+)-(\d+|n)\.lua$/;
const INCLUDE = /^--- @include "([a-zA-Z]+)"\s*$/gm;

function expandIncludes(lua: string, dir: string, seen: Set<string>): string {
  return lua.replace(INCLUDE, (_line, name: string) => {
    if (seen.has(name)) return '';
    seen.add(name);
    const included = readFileSync(join(dir, 'includes', `${name}.lua`), 'utf8');
    return expandIncludes(included, dir, seen);
  });
}

export function readScripts(dir = fromRoot('lua')): ScriptSource[] {
  return readdirSync(dir)
    .map((file) => SCRIPT_FILE.exec(file))
    .filter((m): m is RegExpExecArray => m !== null)
    .map(([file, name, keys]) => ({
      name: name as string,
      numberOfKeys: keys === 'n' ? undefined : Number(keys),
      lua: expandIncludes(readFileSync(join(dir, file), 'utf8'), dir, new Set()),
    }));
}

type ScriptReply = (string | number)[];
export type RunScript = (
  name: string,
  keys: string[],
  args: (string | number)[],
) => Promise<ScriptReply>;

/** Scripts that change nothing: never worth waiting for a replica. */
const READ_ONLY = new Set([
  'availability',
  'collectGarbage',
  'eventView',
  'eventFence',
  'queueTicket',
  'queueStatus',
  'seatStatus',
]);

export interface ReplicaWait {
  /** replicas a state change waits for (Redis WAIT, on the node that ran the script) */
  replicas: number;
  timeoutMs: number;
  /** told when fewer replicas than asked acknowledged in time */
  short?: (name: string) => void;
}

/** What a runner does around each call; set when the process configures it. */
export interface RunnerSettings {
  /** Told how long each call took (seconds): the script latency metric. */
  observe?: ((name: string, seconds: number) => void) | undefined;
  wait?: ReplicaWait | undefined;
}

const runners = new WeakMap<RedisClient, { run: RunScript; settings: RunnerSettings }>();

/**
 * The one script runner of a Redis client in this process (as BullMQ loads its commands
 * once per client): the scripts are defined on the first call, and every facade of the
 * client (holds, queue, relay, verifier) shares the runner. `settings` (the metrics and the
 * replica WAIT, given by the process's configured facade) apply to every call from then
 * on, whoever made the runner first.
 */
export function scriptRunnerOf(redis: RedisClient, settings?: RunnerSettings): RunScript {
  let runner = runners.get(redis);
  if (!runner) {
    const own: RunnerSettings = {};
    runner = { run: defineScripts(redis, readScripts(), own), settings: own };
    runners.set(redis, runner);
  }
  if (settings) Object.assign(runner.settings, settings);
  return runner.run;
}

/**
 * The client's runner as the process's configuration sets it: the replica WAIT and, with a
 * registry, the script latency and short-WAIT metrics.
 */
export function configuredScriptRunner(
  redis: RedisClient,
  config: { REDIS_WAIT_REPLICAS?: number; REDIS_WAIT_TIMEOUT_MS?: number },
  registry?: Registry,
): RunScript {
  const latency =
    registry &&
    hotHistogram({
      name: 'redis_script_duration_seconds',
      help: 'Lua script calls, by script, as the caller sees them (round trip included)',
      labelNames: ['script'] as const,
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5],
      registers: [registry],
    });
  const latencyOf = latency && childrenByKey((script) => latency.child({ script }));
  const waitShort =
    registry &&
    new Counter({
      name: 'redis_wait_short_total',
      help: 'State changes answered before REDIS_WAIT_REPLICAS replicas acknowledged them',
      labelNames: ['script'] as const,
      registers: [registry],
    });
  return scriptRunnerOf(redis, {
    observe: latencyOf && ((script, s) => latencyOf(script).observe(s)),
    wait: {
      replicas: config.REDIS_WAIT_REPLICAS ?? 0,
      timeoutMs: config.REDIS_WAIT_TIMEOUT_MS ?? 100,
      short: (script) => waitShort?.inc({ script }),
    },
  });
}

/**
 * Defines every script on the client; returns the one way to call them. Facades take the
 * client's shared runner (scriptRunnerOf); this is for a client of its own (tests, tools).
 */
export function defineScripts(
  redis: RedisClient,
  sources = readScripts(),
  settings: RunnerSettings = {},
): RunScript {
  /** Each script's key count; null: counted on each call (a `-n` script). */
  const known = new Map<string, number | null>();
  for (const { name, numberOfKeys, lua } of sources) {
    redis.defineCommand(name, { numberOfKeys, lua });
    known.set(name, numberOfKeys ?? null);
  }
  const commands = redis as unknown as Record<string, (...a: unknown[]) => Promise<ScriptReply>>;
  // Not an async function: the command's own promise is returned, no wrapper around it.
  return (name, keys, args) => {
    const numberOfKeys = known.get(name);
    const misuse =
      numberOfKeys === undefined
        ? `no Lua script named ${name}`
        : numberOfKeys !== null && keys.length !== numberOfKeys
          ? `${name} takes ${numberOfKeys} keys, got ${keys.length}`
          : commands[name] === undefined
            ? `script ${name} is not defined on this client`
            : undefined;
    if (misuse) return Promise.reject(new Error(misuse));
    // A script of no fixed key count is told the count first (ioredis's defineCommand).
    const given = numberOfKeys === null ? [String(keys.length), ...keys] : keys;
    const command = commands[name] as (...a: unknown[]) => Promise<ScriptReply>;
    const { observe, wait } = settings;
    const call =
      wait && wait.replicas > 0 && !READ_ONLY.has(name)
        ? () => callAndWait(name, given, args, wait)
        : () => command.call(redis, ...given, ...args);
    if (!observe) return call();
    const started = performance.now();
    return call().finally(() => observe(name, (performance.now() - started) / 1000));
  };

  /**
   * The script and a WAIT in one pipeline: the WAIT goes to the node that ran the script
   * (on a cluster, the pipeline's node), so the answer waits until replicas have the change.
   */
  async function callAndWait(
    name: string,
    keys: string[],
    args: (string | number)[],
    wait: ReplicaWait,
  ): Promise<ScriptReply> {
    const pipeline = redis.pipeline() as unknown as Record<string, (...a: unknown[]) => unknown> & {
      call(...a: unknown[]): unknown;
      exec(): Promise<[Error | null, unknown][] | null>;
    };
    pipeline[name]?.(...keys, ...args);
    pipeline.call('WAIT', wait.replicas, wait.timeoutMs);
    const [script, waited] = (await pipeline.exec()) ?? [];
    if (!script) throw new Error(`no reply to ${name}`);
    if (script[0]) throw script[0];
    if (!waited?.[0] && Number(waited?.[1]) < wait.replicas) wait.short?.(name);
    return script[1] as ScriptReply;
  }
}
