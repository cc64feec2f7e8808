// The bare prototype's Redis keys (perf/http/prototype-server.ts): a prefix of its own, after
// REDIS_KEY_PREFIX, with one hash tag, so nothing of the engine's is touched and every
// key of the script is in one slot. perf:http clears them before and after its run.
import type { Redis } from 'ioredis';

export function prototypeKeys(redisKeyPrefix = '') {
  const tag = `${redisKeyPrefix}bench:proto:{p}:`;
  return {
    /** string: units left */
    stock: `${tag}stock`,
    /** hash: one hold */
    hold: (holdId: string) => `${tag}hold:${holdId}`,
    /** zset: holdId -> expiresAt (ms) */
    expiry: `${tag}expiry`,
    /** stream: hold changes (nobody relays it) */
    outbox: `${tag}outbox`,
  };
}

/** Removes what the prototype wrote (its holds are indexed by its expiry set). */
export async function clearPrototype(redis: Redis, redisKeyPrefix = '') {
  const keys = prototypeKeys(redisKeyPrefix);
  for (;;) {
    const popped = await redis.zpopmin(keys.expiry, 1000);
    if (popped.length === 0) break;
    const ids = popped.filter((_, i) => i % 2 === 0);
    await redis.unlink(...ids.map((id) => keys.hold(id)));
  }
  await redis.unlink(keys.stock, keys.outbox, keys.expiry);
}
