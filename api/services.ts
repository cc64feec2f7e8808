// The api's collaborators, built once from its connections: main.ts and the tests build
// the app the same way.
import type { Registry } from 'prom-client';
import { createAccessTokens } from '../common/auth/access-tokens.js';
import { createPasswords } from '../common/auth/passwords.js';
import { createRefreshTokens } from '../common/auth/refresh-tokens.js';
import { createRevocations } from '../common/auth/revocations.js';
import { createCatalogCache } from '../common/catalog/cache.js';
import type { Config } from '../common/config.js';
import { createDb, type Sql } from '../common/db/client.js';
import type { Logger } from '../common/logger.js';
import type { RedisClient } from '../common/redis.js';
import { createHoldsFromConfig } from '../common/reservations/holds.js';
import { createDomainMetrics } from './domain-metrics.js';
import { createDeadline } from './middleware/deadline.js';
import { createLoadShedder } from './protection/load-shedding.js';
import { createRateLimits } from './protection/rate-limits.js';

export async function createApiServices(
  config: Config,
  registry: Registry,
  connections: { redis: RedisClient; sql: Sql },
  logger: Logger,
) {
  const db = createDb(connections.sql);
  // Pub/sub needs a connection of its own: a subscribed client runs no other commands.
  const cache = createCatalogCache(
    connections.redis,
    connections.redis.duplicate(),
    registry,
    logger,
    {
      prefix: config.REDIS_KEY_PREFIX,
      localTtlMs: config.CATALOG_CACHE_LOCAL_TTL_MS,
      sharedTtlMs: config.CATALOG_CACHE_SHARED_TTL_MS,
    },
  );
  await cache.ready;
  const revocations = createRevocations(connections.redis, connections.redis.duplicate(), logger, {
    prefix: config.REDIS_KEY_PREFIX,
    accessTokenTtlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
  });
  await revocations.ready;
  const holds = createHoldsFromConfig(connections.redis, config, registry);
  return {
    cache,
    metrics: createDomainMetrics(registry, holds),
    db,
    sql: connections.sql,
    redis: connections.redis,
    holds,
    passwords: await createPasswords(config.BCRYPT_COST, {
      concurrency: config.BCRYPT_CONCURRENCY,
      maxQueue: config.BCRYPT_MAX_QUEUE,
    }),
    revocations,
    accessTokens: await createAccessTokens(config, { revocations }),
    refreshTokens: createRefreshTokens(db, config.REFRESH_TOKEN_TTL_SECONDS),
    rateLimits: createRateLimits(
      connections.redis,
      config,
      registry,
      `${config.REDIS_KEY_PREFIX}rl`,
    ),
    requestDeadline: createDeadline(config.REQUEST_TIMEOUT_MS),
    loadShedder: createLoadShedder(registry, {
      maxInFlight: config.SHED_MAX_IN_FLIGHT,
      maxEventLoopDelayMs: config.SHED_MAX_EVENT_LOOP_DELAY_MS,
    }),
  };
}

export type ApiServices = Awaited<ReturnType<typeof createApiServices>>;
