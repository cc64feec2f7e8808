// Access-token revocation without a Redis round trip per request. Access tokens are
// stateless JWTs, cached once verified (access-tokens.ts); what can void one before its
// `exp` is kept in Redis and mirrored in every api process:
//   - a per-user "not before": tokens issued (iat) before it are void; +inf for a disabled
//     account, whose every token is void;
//   - revoked session families: every access token minted for a refresh-token family
//     (claim `fam`) dies with the family (refresh-token reuse, logout).
// A change is applied here at once, and reaches the other processes over Redis pub/sub
// within milliseconds; should a message be lost (a reconnect), each process also compares
// a version counter every RESYNC_MS and reloads both sets when it moved. Entries that can
// no longer matter (every token they void has expired) are pruned.
import type { Logger } from '../../platform/logger.js';
import { type RedisClient, redisReady } from '../../platform/redis.js';

export interface RevocationCheck {
  /** True when a token of `userId` issued at `issuedAt` (epoch s) in `family` is void. */
  isRevoked(userId: string, issuedAt: number, family: string | undefined): boolean;
}

export interface RevocationOptions {
  prefix: string;
  /** Access-token lifetime: after it, an entry voids nothing that is still valid. */
  accessTokenTtlSeconds: number;
  resyncMs?: number;
}

const RESYNC_MS = 1000;

/** Redis answers "inf" for an infinite score. */
const score = (s: string) => (s === 'inf' || s === '+inf' ? Number.POSITIVE_INFINITY : Number(s));

export function createRevocations(
  redis: RedisClient,
  subscriber: RedisClient,
  logger: Logger,
  options: RevocationOptions,
) {
  // One hash tag: the version and both sets sit in one slot, so MULTI works on a cluster.
  const base = `${options.prefix}{auth}:revoked`;
  const keys = {
    users: `${base}:users`,
    families: `${base}:families`,
    version: `${base}:version`,
  };
  const channel = `${options.prefix}auth:revocations`;
  /** userId → not-before, epoch seconds (Infinity: every token). */
  const users = new Map<string, number>();
  /** familyId → when it was revoked, epoch seconds. */
  const families = new Map<string, number>();
  let version: string | null = null;
  const nowSeconds = () => Date.now() / 1000;
  /** Revoked before this, an entry voids nothing any more (a minute's slack for skew). */
  const horizon = () => nowSeconds() - options.accessTokenTtlSeconds - 60;

  function prune() {
    const before = horizon();
    for (const [id, at] of users) if (at < before) users.delete(id);
    for (const [id, at] of families) if (at < before) families.delete(id);
  }

  /** Revocations heard (or made here) while a reload was on its way. */
  let heardWhileReading: string[] = [];
  let reloading = 0;

  async function reload(): Promise<void> {
    reloading += 1;
    try {
      await readAll();
    } catch (err) {
      reloading -= 1;
      if (reloading === 0) heardWhileReading = [];
      throw err;
    }
  }

  async function readAll(): Promise<void> {
    const before = `(${horizon()}`;
    const replies = await redis
      .multi()
      .zremrangebyscore(keys.users, '-inf', before)
      .zremrangebyscore(keys.families, '-inf', before)
      .zrange(keys.users, 0, -1, 'WITHSCORES')
      .zrange(keys.families, 0, -1, 'WITHSCORES')
      .get(keys.version)
      .exec();
    if (!replies) throw new Error('revocations reload aborted');
    for (const [err] of replies) if (err) throw err;
    const pairs = (reply: unknown) => {
      const flat = reply as string[];
      const out: [string, number][] = [];
      for (let i = 0; i + 1 < flat.length; i += 2) {
        out.push([flat[i] as string, score(flat[i + 1] as string)]);
      }
      return out;
    };
    users.clear();
    families.clear();
    for (const [id, at] of pairs(replies[2]?.[1])) users.set(id, at);
    for (const [id, at] of pairs(replies[3]?.[1])) families.set(id, at);
    version = (replies[4]?.[1] as string | null) ?? null;
    // A revocation heard while the read was on its way may be newer than what it read (on
    // a cluster the two cross on different connections): it is kept, not cleared away.
    for (const message of heardWhileReading) apply(message);
    reloading -= 1;
    if (reloading === 0) heardWhileReading = [];
  }

  async function resync(): Promise<void> {
    const current = await redis.get(keys.version);
    if (current !== version) await reload();
    else prune();
  }

  function hear(message: string) {
    if (reloading > 0) heardWhileReading.push(message);
    apply(message);
  }

  function apply(message: string) {
    const [kind, id, at] = message.split(' ');
    if (!id || !at) return;
    if (kind === 'user') users.set(id, Math.max(users.get(id) ?? 0, score(at)));
    else if (kind === 'family') families.set(id, score(at));
  }

  subscriber.on('message', (ch: string, message: string) => {
    if (ch === channel) hear(message);
  });
  const ready = redisReady(subscriber, 10_000)
    .then(() => subscriber.subscribe(channel))
    .then(reload)
    .catch((err) =>
      logger.warn(
        { err: String(err) },
        'token revocations not subscribed yet; they are re-read every second',
      ),
    );

  let resyncing = false;
  const timer = setInterval(() => {
    if (resyncing) return;
    resyncing = true;
    resync()
      .catch((err) => logger.warn({ err: String(err) }, 'token revocations resync failed'))
      .finally(() => {
        resyncing = false;
      });
  }, options.resyncMs ?? RESYNC_MS);
  timer.unref();

  async function publish(kind: 'user' | 'family', key: string, id: string, at: number) {
    const redisScore = at === Number.POSITIVE_INFINITY ? '+inf' : String(at);
    await redis
      .multi()
      // GT: a not-before only moves forward (a later, shorter one never shortens it).
      .zadd(key, 'GT', redisScore, id)
      .incr(keys.version)
      .exec();
    await redis.publish(channel, `${kind} ${id} ${redisScore}`);
  }

  return {
    ready,

    isRevoked(userId: string, issuedAt: number, family: string | undefined): boolean {
      if (users.size > 0) {
        const notBefore = users.get(userId);
        if (notBefore !== undefined && issuedAt < notBefore) return true;
      }
      return family !== undefined && families.size > 0 && families.has(family);
    },

    /** Voids every access token of the user, now and later (a disabled account). */
    async revokeUser(userId: string): Promise<void> {
      hear(`user ${userId} inf`);
      await publish('user', keys.users, userId, Number.POSITIVE_INFINITY);
    },

    /** Voids every access token minted for a refresh-token family. */
    async revokeFamily(familyId: string): Promise<void> {
      const at = Math.floor(nowSeconds());
      hear(`family ${familyId} ${at}`);
      await publish('family', keys.families, familyId, at);
    },

    async close(): Promise<void> {
      clearInterval(timer);
      await subscriber.quit().catch(() => {});
    },
  };
}

export type Revocations = ReturnType<typeof createRevocations>;
