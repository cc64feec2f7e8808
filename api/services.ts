// The api's collaborators, built once from its connections: main.ts and the tests build
// the app the same way.
import type { Registry } from 'prom-client';
import { challengeKey, createChallenges } from '../core/access/challenges.js';
import { createAccessCodes } from '../core/access/codes.js';
import { catalogOperations } from '../core/admin/catalog.js';
import { createAccessTokens } from '../core/auth/access-tokens.js';
import { createPasswords } from '../core/auth/passwords.js';
import { createRefreshTokens } from '../core/auth/refresh-tokens.js';
import { createRevocations } from '../core/auth/revocations.js';
import { createCatalogCache } from '../core/catalog/cache.js';
import { appendCatalogChange } from '../core/catalog/changes.js';
import { createQueuePasses } from '../core/queue/passes.js';
import { createQueue } from '../core/queue/queue.js';
import { createQueueTickets, queueTicketKey } from '../core/queue/tickets.js';
import { isMarked } from '../core/records/event-marks.js';
import { createSaleRecorder } from '../core/records/sales.js';
import { createHoldsFromConfig } from '../core/reservations/holds.js';
import { simulatedPayments } from '../core/reservations/payments.js';
import type { Config } from '../platform/config.js';
import { createDb, type Sql } from '../platform/db/client.js';
import type { Logger } from '../platform/logger.js';
import { type RedisClient, shardedSubscriber } from '../platform/redis.js';
import { createAvailabilityReader } from './availability.js';
import { createAvailabilityStreams } from './availability-stream.js';
import { createDomainMetrics } from './domain-metrics.js';
import { createDropAccess } from './drop-access.js';
import { createEventViews } from './event-views.js';
import { createDeadline } from './middleware/deadline.js';
import { createLoadShedder } from './protection/load-shedding.js';
import { createRateLimits } from './protection/rate-limits.js';
import { createSeatViews } from './seat-views.js';

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
  // Its own connection: a subscribed client runs no other commands. On a cluster, one per
  // master: the views listen on the shard channels of their events.
  const eventViews = createEventViews(
    holds,
    shardedSubscriber(connections.redis),
    holds.keys,
    logger,
    registry,
    {
      streamIntervalMs: config.AVAILABILITY_STREAM_MS,
      availabilityCacheMs: config.AVAILABILITY_CACHE_MS,
    },
  );
  const challenges = createChallenges(connections.redis, holds.keys, challengeKey(config));
  const catalog = { db, holds, cache, defaultHoldTtlSeconds: config.HOLD_TTL_SECONDS };
  return {
    catalogOperations: catalogOperations({
      ...catalog,
      redis: connections.redis,
      namespace: config.REDIS_KEY_PREFIX,
      publish: (change) => appendCatalogChange(connections.redis, holds.keys, change),
      logger,
    }),
    payments: simulatedPayments(config.PAYMENT_DELAY_MS),
    /** Writes a confirmation or cancellation to Postgres before its answer. */
    recordSale: createSaleRecorder(connections.sql, config.REDIS_KEY_PREFIX, config.NOTIFY_CHANNEL),
    /** Whether an event Redis does not have is one the record says it held (a data loss). */
    eventLost: (eventId: string) => isMarked(db, config.REDIS_KEY_PREFIX, eventId),
    eventViews,
    challenges,
    dropAccess: createDropAccess({
      views: eventViews,
      codes: createAccessCodes(db),
      challenges,
      registry,
    }),
    readAvailability: createAvailabilityReader(eventViews),
    seatViews: createSeatViews({ views: eventViews, holds }),
    availabilityStreams: createAvailabilityStreams(eventViews, registry, {
      intervalMs: config.AVAILABILITY_STREAM_MS,
      maxStreams: config.AVAILABILITY_STREAM_MAX,
      maxPerCaller: config.AVAILABILITY_STREAM_MAX_PER_USER,
    }),
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
    queue: createQueue(connections.redis, config.REDIS_KEY_PREFIX),
    queuePasses: await createQueuePasses(config),
    queueTickets: createQueueTickets(queueTicketKey(config)),
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
