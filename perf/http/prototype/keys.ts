// The bare prototype's Redis keys (perf/http/prototype-server.ts): a prefix of its own, after
// REDIS_KEY_PREFIX, with one hash tag, so nothing of the engine's is touched and every
// key of the script is in one slot.
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
