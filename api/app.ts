// The app factory: one OpenAPIHono with the cross-cutting middleware, every resource's
// router, problem+json errors and the OpenAPI document. main.ts serves it; tests call
// app.request() on the same factory.
import type { Admin } from 'kafkajs';
import type { Registry } from 'prom-client';
import type { Config } from '../platform/config.js';
import type { Probes } from '../platform/health.js';
import { kafkaNames } from '../platform/kafka.js';
import type { Logger } from '../platform/logger.js';
import { createCrowdLane } from './crowd-lane.js';
import { docsRoutes } from './docs.js';
import { errorHandler } from './errors.js';
import { createBodyLimit } from './middleware/body-limit.js';
import { createRequestObserver } from './middleware/observe.js';
import { requestPipeline } from './middleware/pipeline.js';
import { openApiDocument } from './openapi-document.js';
import { createRouter } from './router.js';
import { adminEventRoutes } from './routes/admin-events.js';
import { adminUserRoutes } from './routes/admin-users.js';
import { authRoutes } from './routes/auth.js';
import { dropAccessRoutes } from './routes/drop-access.js';
import { eventRoutes } from './routes/events.js';
import { opsRoutes } from './routes/ops.js';
import { queueRoutes } from './routes/queue.js';
import { recordRoutes } from './routes/records.js';
import { reservationRoutes } from './routes/reservations.js';
import { seatRoutes } from './routes/seats.js';
import type { ApiServices } from './services.js';
import { answerUnknownRoutes } from './unknown-routes.js';

export interface AppDeps extends ApiServices {
  config: Config;
  /** For the rebuild: whether the persister has caught up with Kafka. */
  kafkaAdmin: Admin;
  logger: Logger;
  registry: Registry;
  /** Dependency probes behind /readyz. */
  probes: Probes;
  /** True once a shutdown has begun: /readyz answers 503 from then on (main.ts). */
  draining?: () => boolean;
}

export function createApp(deps: AppDeps) {
  const { config, logger, registry } = deps;
  const app = createRouter();

  const answerError = errorHandler(logger);
  const observe = createRequestObserver(logger, registry);
  app.use(
    requestPipeline({
      observe,
      shedder: deps.loadShedder,
      deadline: deps.requestDeadline,
      bodyLimit: createBodyLimit(config.BODY_LIMIT_BYTES),
      tokens: deps.accessTokens,
      rateLimits: deps.rateLimits,
      trustProxy: config.TRUST_PROXY,
      answerError,
    }),
  );

  app.route(
    '/',
    opsRoutes({
      probes: deps.probes,
      readyTimeoutMs: config.READY_CHECK_TIMEOUT_MS,
      draining: deps.draining,
    }),
  );
  app.route('/', authRoutes(deps));
  app.route('/', adminUserRoutes({ db: deps.db, revocations: deps.revocations }));
  const catalog = {
    db: deps.db,
    holds: deps.holds,
    cache: deps.cache,
    defaultHoldTtlSeconds: config.HOLD_TTL_SECONDS,
  };
  app.route(
    '/',
    eventRoutes({
      ...catalog,
      readAvailability: deps.readAvailability,
      streams: deps.availabilityStreams,
      logger,
    }),
  );
  const kafka = kafkaNames(config.KAFKA_TOPIC_PREFIX);
  app.route(
    '/',
    seatRoutes({ ...catalog, seatViews: deps.seatViews, catalog: deps.catalogOperations }),
  );
  app.route(
    '/',
    adminEventRoutes({
      ...catalog,
      catalog: deps.catalogOperations,
      rebuild: {
        kafkaAdmin: deps.kafkaAdmin,
        topic: kafka.reservations,
        persisterGroup: kafka.group('persister'),
        namespace: config.REDIS_KEY_PREFIX,
      },
    }),
  );
  app.route(
    '/',
    reservationRoutes({
      holds: deps.holds,
      db: deps.db,
      metrics: deps.metrics,
      payments: deps.payments,
      recordSale: deps.recordSale,
      eventLost: deps.eventLost,
      passes: deps.queuePasses,
      views: deps.eventViews,
      access: deps.dropAccess,
    }),
  );
  app.route(
    '/',
    queueRoutes({
      queue: deps.queue,
      passes: deps.queuePasses,
      tickets: deps.queueTickets,
      views: deps.eventViews,
      access: deps.dropAccess,
    }),
  );
  app.route(
    '/',
    dropAccessRoutes({ db: deps.db, challenges: deps.challenges, views: deps.eventViews }),
  );
  app.route('/', recordRoutes({ db: deps.db }));

  // Generated once: the routes do not change after start-up.
  const document = openApiDocument(app);
  app.get('/openapi.json', (c) => c.json(document));
  app.route('/', docsRoutes());

  answerUnknownRoutes(app);

  app.onError(answerError);

  // The crowd's reads before the app (api/crowd-lane.ts); not with rate limits in the
  // engine, which count every request.
  const crowdLane = deps.rateLimits.requests
    ? undefined
    : createCrowdLane({
        views: deps.eventViews,
        seatViews: deps.seatViews,
        tickets: deps.queueTickets,
        tokens: deps.accessTokens,
        shedder: deps.loadShedder,
        observe,
        registry,
      });
  return Object.assign(app, { crowdLane, openApiDocument: document });
}

export type App = ReturnType<typeof createApp>;
