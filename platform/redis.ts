// The Redis connection: a single node (REDIS_URL) or a cluster (REDIS_CLUSTER_NODES).
// No offline queue: while Redis is unreachable a command fails at once with a clear
// error instead of waiting in memory, so the api answers 503 instead of hanging.
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { Config } from './config.js';
import type { Logger } from './logger.js';

export type RedisClient = Redis | Cluster;

const reconnectDelayMs = (attempt: number) => Math.min(50 * 2 ** attempt, 2000);

export function createRedis(
  config: Pick<Config, 'REDIS_URL' | 'REDIS_CLUSTER_NODES'> &
    Partial<Pick<Config, 'REDIS_AUTO_PIPELINING'>>,
  logger: Logger,
  name = 'main',
): RedisClient {
  const common: RedisOptions = {
    connectionName: `drop-engine:${name}`,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    retryStrategy: reconnectDelayMs,
    enableAutoPipelining: config.REDIS_AUTO_PIPELINING ?? false,
  };
  const client: RedisClient = config.REDIS_CLUSTER_NODES
    ? new Cluster(
        config.REDIS_CLUSTER_NODES.split(',').map((hostPort) => {
          const [host, port] = hostPort.split(':');
          return { host, port: Number(port) };
        }),
        {
          enableOfflineQueue: false,
          enableAutoPipelining: config.REDIS_AUTO_PIPELINING ?? false,
          clusterRetryStrategy: reconnectDelayMs,
          redisOptions: common,
        },
      )
    : new Redis(config.REDIS_URL, common);

  // ioredis reports every failed reconnect; log the transitions, not each attempt.
  let down = false;
  client.on('error', (err: Error) => {
    if (!down) logger.warn({ err: err.message, redis: name }, 'redis connection lost');
    down = true;
  });
  client.on('ready', () => {
    if (down) logger.info({ redis: name }, 'redis connection restored');
    down = false;
  });
  return client;
}

/**
 * A connection of its own for sharded pub/sub (SSUBSCRIBE): on a cluster, a client that
 * keeps one subscriber per master, so each shard channel is heard from its own shard.
 */
export function shardedSubscriber(client: RedisClient): RedisClient {
  return client instanceof Cluster
    ? client.duplicate(undefined, { shardedSubscribers: true })
    : client.duplicate();
}

/** Resolves once the client is ready, or rejects after `timeoutMs`. */
export function redisReady(client: RedisClient, timeoutMs: number): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      client.off('ready', onReady);
      reject(new Error(`redis not reachable after ${timeoutMs} ms`));
    }, timeoutMs);
    const onReady = () => {
      clearTimeout(timer);
      resolve();
    };
    client.once('ready', onReady);
  });
}
