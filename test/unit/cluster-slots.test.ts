// Redis Cluster: every key one script touches must live in one hash slot. The cluster
// itself refuses scripts whose KEYS span slots (npm run test:cluster runs every script
// there), but a key a script builds inside from a string it was not given could land in
// another slot on the same node and pass unnoticed. This walks every Lua script (includes
// expanded) and every key builder and fails on a key that does not come from the event.
import calculateSlot from 'cluster-key-slot';
import { describe, expect, it } from 'vitest';
import { eventKeys, keyspace } from '../../core/reservations/keys.js';
import { readScripts } from '../../core/reservations/scripts.js';

/** Commands a script may call without a key. */
const KEYLESS = new Set(['TIME', 'LASTSAVE', 'INFO']);
const IDENT = /^[A-Za-z_]\w*/;

/** Names in the script that hold a key, or a key prefix, given to it: KEYS and the keyBase ARGVs. */
function keyRoots(lua: string): { roots: Set<string>; keyArgs: Set<string> } {
  // ARGVs the header documents as a key prefix of the event ({ev:E}:...).
  const keyArgs = new Set(
    [...lua.matchAll(/^\s*ARGV\[(\d+)\]\s+\w+\s+\{ev:/gm)].map((m) => `ARGV[${m[1]}]`),
  );
  const roots = new Set<string>();
  const fromKey = (rhs: string) =>
    /KEYS\[/.test(rhs) ||
    [...keyArgs].some((a) => rhs.includes(a)) ||
    (IDENT.exec(rhs.trim())?.[0] ?? '') in Object.fromEntries([...roots].map((r) => [r, 1]));
  // Parameters of helpers that take keys (callers pass them in, and are checked themselves).
  for (const m of lua.matchAll(/local function \w+\(([^)]*)\)/g))
    for (const p of (m[1] ?? '').split(',').map((s) => s.trim()))
      if (/Key$|^keys$|^k$|^keyBase$/.test(p)) roots.add(p);
  // Locals bound to keys, to a table of keys, or built from one (to a fixpoint).
  for (let changed = true; changed; ) {
    changed = false;
    for (const m of lua.matchAll(/local ([\w, ]+?)\s*=\s*([^\n]+(?:\n\s+[^\n]+)*)/g)) {
      const names = (m[1] ?? '').split(',').map((s) => s.trim());
      const rhs = m[2] ?? '';
      const parts = rhs.trim().startsWith('{') ? [rhs] : rhs.split(',');
      names.forEach((name, i) => {
        const part = names.length > 1 ? (parts[i] ?? '') : rhs;
        if (!roots.has(name) && fromKey(part)) {
          roots.add(name);
          changed = true;
        }
      });
    }
  }
  return { roots, keyArgs };
}

/** The redis.call lines of a script whose key is not one it was given. */
function strayKeys(name: string, lua: string): string[] {
  const { roots, keyArgs } = keyRoots(lua);
  const offenders: string[] = [];
  for (const m of lua.matchAll(/redis\.call\('(\w+)',\s*([^,)]+)/g)) {
    const command = m[1] ?? '';
    const key = (m[2] ?? '').trim();
    if (KEYLESS.has(command)) continue;
    const root = /^(KEYS|ARGV)\[\d+\]/.exec(key)?.[0] ?? IDENT.exec(key)?.[0] ?? key;
    if (!(root.startsWith('KEYS[') || keyArgs.has(root) || roots.has(root)))
      offenders.push(`${name}: redis.call('${command}', ${key})`);
  }
  return offenders;
}

describe('Redis Cluster: one slot per script', () => {
  it('every key a Lua script touches comes from its KEYS or the event key prefix it is given', () => {
    expect(readScripts().flatMap(({ name, lua }) => strayKeys(name, lua))).toEqual([]);
  });

  it('finds a key a script makes up, or builds from an argument that is no key prefix', () => {
    const lua = [
      '--[[',
      '  ARGV[1] keyBase  {ev:E}:',
      '  ARGV[2] userId',
      ']]',
      'local a = KEYS[1]',
      'local base, user = ARGV[1], ARGV[2]',
      "redis.call('SET', a, 1)",
      "redis.call('HSET', base .. 'user:' .. user, 'x', 1)",
      "redis.call('SET', 'global:counter', 1)",
      "redis.call('SET', user .. ':seen', 1)",
      "redis.call('TIME')",
    ].join('\n');
    expect(strayKeys('made-up', lua)).toEqual([
      "made-up: redis.call('SET', 'global:counter')",
      "made-up: redis.call('SET', user .. ':seen')",
    ]);
  });

  it('every key of an event, whatever the prefix, is in the event’s slot', () => {
    for (const prefix of ['', 'engine-a:', 't1x2:']) {
      const eventId = '0193a0b2-7c1e-7d3a-9f00-1c2d3e4f5a6b';
      const k = eventKeys(eventId, prefix);
      const slot = calculateSlot(`{ev:${eventId}}`);
      const keys = [
        k.base,
        k.event,
        k.categories,
        k.category('c1'),
        k.categoryPrefix,
        k.user('u1'),
        k.hold('h1'),
        k.expiry,
        k.outbox,
        k.outboxLease,
        k.rebuildLease,
        k.queue,
        k.queueJoined,
        k.queueAdmitted,
        k.queueState,
        k.idempotency('u1', 'key'),
      ];
      expect(keys.map((key) => calculateSlot(key))).toEqual(keys.map(() => slot));
      // The engine-wide keys are each used alone (never two in one command or script).
      const global = keyspace(prefix);
      expect(new Set([global.liveEvents, global.queuedEvents, global.catalogOutbox]).size).toBe(3);
    }
  });
});
