// Loads lua/<name>-<numberOfKeys>.lua into ioredis with defineCommand: EVALSHA, with the
// script sent again only when Redis answers NOSCRIPT. `--- @include "x"` pulls in
// lua/includes/x.lua (each once), so helpers are written once and shared.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fromRoot } from '../../platform/paths.js';
import type { RedisClient } from '../../platform/redis.js';

export interface ScriptSource {
  name: string;
  numberOfKeys: number;
  lua: string;
}

const SCRIPT_FILE = /^([a-zA-Z]+)-(\d+)\.lua$/;
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
      numberOfKeys: Number(keys),
      lua: expandIncludes(readFileSync(join(dir, file), 'utf8'), dir, new Set()),
    }));
}

type ScriptReply = (string | number)[];
export type RunScript = (
  name: string,
  keys: string[],
  args: (string | number)[],
) => Promise<ScriptReply>;

/** Defines every script on the client; returns the one way to call them. */
export function defineScripts(
  redis: RedisClient,
  sources = readScripts(),
  /** Told how long each call took (seconds): the script latency metric. */
  observe?: (name: string, seconds: number) => void,
): RunScript {
  const known = new Map<string, number>();
  for (const { name, numberOfKeys, lua } of sources) {
    redis.defineCommand(name, { numberOfKeys, lua });
    known.set(name, numberOfKeys);
  }
  return async (name, keys, args) => {
    const numberOfKeys = known.get(name);
    if (numberOfKeys === undefined) throw new Error(`no Lua script named ${name}`);
    if (keys.length !== numberOfKeys) {
      throw new Error(`${name} takes ${numberOfKeys} keys, got ${keys.length}`);
    }
    const command = (redis as unknown as Record<string, (...a: unknown[]) => Promise<ScriptReply>>)[
      name
    ];
    if (!command) throw new Error(`script ${name} is not defined on this client`);
    if (!observe) return command.call(redis, ...keys, ...args);
    const started = performance.now();
    try {
      return await command.call(redis, ...keys, ...args);
    } finally {
      observe(name, (performance.now() - started) / 1000);
    }
  };
}
