// Cache-aside for catalog reads (event detail, search pages): a small in-process LRU in
// front of Redis, both with TTLs. Every admin write bumps the catalog's version: cache
// keys carry the version, so nothing older is ever served again. The writer sees the new
// version at once; other instances hear it over Redis pub/sub within milliseconds (and
// re-read it from Redis at least every VERSION_TTL_MS should a message be lost).
import { LRUCache } from 'lru-cache';
import { Counter, type Registry } from 'prom-client';
import type { Logger } from '../../platform/logger.js';
import { type RedisClient, redisReady } from '../../platform/redis.js';

export interface CatalogCacheOptions {
  prefix: string;
  localTtlMs: number;
  sharedTtlMs: number;
  localMax?: number;
}

const VERSION_TTL_MS = 1000;

export function createCatalogCache(
  redis: RedisClient,
  subscriber: RedisClient,
  registry: Registry,
  logger: Logger,
  options: CatalogCacheOptions,
) {
  const versionKey = `${options.prefix}catalog:version`;
  const channel = `${options.prefix}catalog:invalidate`;
  const local = new LRUCache<string, string>({
    max: options.localMax ?? 5000,
    ttl: options.localTtlMs,
  });
  const lookups = new Counter({
    name: 'catalog_cache_lookups_total',
    help: 'Catalog cache lookups by level and result',
    labelNames: ['level', 'result'] as const,
    registers: [registry],
  });

  let version: string | undefined;
  let versionReadAt = 0;
  /** When an invalidation was last heard (pub/sub) or made here. */
  let versionToldAt = 0;

  async function currentVersion(): Promise<string> {
    if (version === undefined || Date.now() - versionReadAt > VERSION_TTL_MS) {
      const asked = Date.now();
      const read = (await redis.get(versionKey)) ?? '0';
      // An invalidation heard while the read was on its way is newer than the read: on a
      // cluster the two travel on different connections and can cross.
      if (versionToldAt < asked || version === undefined) version = read;
      versionReadAt = Date.now();
    }
    return version;
  }

  subscriber.on('message', (ch: string, message: string) => {
    if (ch !== channel) return;
    // Versions only grow (INCR), and messages may arrive out of order: on a cluster each
    // PUBLISH enters at a node of its own and crosses the cluster bus from there. An older
    // one must not take an instance back (a Redis that lost the key starts over at 1: the
    // periodic re-read below adopts that).
    if (version !== undefined && Number(message) <= Number(version)) return;
    version = message;
    versionReadAt = Date.now();
    versionToldAt = versionReadAt;
  });
  // Our clients queue nothing while disconnected: subscribe once the connection is up
  // (ioredis subscribes again by itself after a reconnect).
  const ready = redisReady(subscriber, 10_000)
    .then(() => subscriber.subscribe(channel))
    .catch((err) =>
      logger.warn(
        { err: String(err) },
        'catalog invalidations not subscribed; versions are re-read every second',
      ),
    );

  return {
    ready,

    /** The cached JSON for `key`, or `load()`'s, cached on the way out. */
    async get<T>(key: string, load: () => Promise<T>): Promise<T> {
      const full = `${options.prefix}catalog:v${await currentVersion()}:${key}`;
      const hit = local.get(full);
      if (hit !== undefined) {
        lookups.inc({ level: 'local', result: 'hit' });
        return JSON.parse(hit) as T;
      }
      lookups.inc({ level: 'local', result: 'miss' });
      const shared = await redis.get(full);
      if (shared !== null) {
        lookups.inc({ level: 'redis', result: 'hit' });
        local.set(full, shared);
        return JSON.parse(shared) as T;
      }
      lookups.inc({ level: 'redis', result: 'miss' });
      const value = await load();
      const json = JSON.stringify(value);
      local.set(full, json);
      await redis.set(full, json, 'PX', options.sharedTtlMs);
      return value;
    },

    /** After an admin write: a new version here at once, and for every instance. */
    async invalidate(): Promise<void> {
      version = String(await redis.incr(versionKey));
      versionReadAt = Date.now();
      versionToldAt = versionReadAt;
      local.clear();
      await redis.publish(channel, version);
    },

    close: () => subscriber.quit().catch(() => {}),
  };
}

export type CatalogCache = ReturnType<typeof createCatalogCache>;
