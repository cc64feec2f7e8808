// Redis key names (core/reservations/keys.ts): built once per event, apart per engine.
import { describe, expect, it } from 'vitest';
import { eventKeys, keyspace } from '../../core/reservations/keys.js';

const E = '0193a0b2-7c1e-7d3a-9f00-1c2d3e4f5a6b';

describe('event keys', () => {
  it('are built once per event and prefix', () => {
    expect(eventKeys(E)).toBe(eventKeys(E));
    expect(eventKeys(E, 'a:')).toBe(keyspace('a:').event(E));
    expect(eventKeys(E, 'a:')).not.toBe(eventKeys(E));
  });

  it('put the prefix before the hash tag, and name every key after the event', () => {
    const k = eventKeys(E, 'engine-a:');
    expect(k.event).toBe(`engine-a:{ev:${E}}:event`);
    expect(k.category('c1')).toBe(`engine-a:{ev:${E}}:cat:c1`);
    expect(k.category('c1').startsWith(k.categoryPrefix)).toBe(true);
    expect(k.hold('h1')).toBe(`${k.base}hold:h1`);
    expect(k.idempotency('u1', 'key')).toBe(`${k.base}idem:u1:key`);
  });

  it('keep one engine’s keys apart from another’s, and the kinds of keys apart', () => {
    const a = eventKeys(E, 'a:');
    const b = eventKeys(E, 'b:');
    const names = (k: typeof a) => Object.values(k).filter((v) => typeof v === 'string');
    expect(names(a).length).toBeGreaterThan(10);
    expect(new Set([...names(a), ...names(b)]).size).toBe(2 * names(a).length);
  });

  it('the engine-wide keys carry the prefix', () => {
    const global = keyspace('t1:');
    expect(global.userIdempotency('u1', 'k')).toBe('t1:idem:u1:k');
    for (const key of [global.liveEvents, global.queuedEvents, global.catalogOutbox])
      expect(key.startsWith('t1:')).toBe(true);
  });
});
