// The app factory: one OpenAPIHono with the cross-cutting middleware, every resource's
// router, problem+json errors and the OpenAPI document. main.ts serves it; tests call
// app.request() on the same factory.
import { swaggerUI } from '@hono/swagger-ui';
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { Admin } from 'kafkajs';
import type { Registry } from 'prom-client';
import { appendCatalogChange } from '../common/catalog/changes.js';
import type { Config } from '../common/config.js';
import type { Probes } from '../common/health.js';
import { kafkaNames } from '../common/kafka.js';
import type { Logger } from '../common/logger.js';
import { simulatedPayments } from '../common/reservations/payments.js';
import { isDependencyDown } from './dependency-errors.js';
import type { AppEnv } from './env.js';
import { createBodyLimit } from './middleware/body-limit.js';
import { createRequestObserver } from './middleware/observe.js';
import { requestPipeline } from './middleware/pipeline.js';
import { logOf } from './middleware/request-log.js';
import { ApiError, type ErrorCode, problemResponse } from './problem.js';
import { createRouter } from './router.js';
import { adminEventRoutes } from './routes/admin-events.js';
import { authRoutes } from './routes/auth.js';
import { eventRoutes } from './routes/events.js';
import { opsRoutes } from './routes/ops.js';
import { recordRoutes } from './routes/records.js';
import { reservationRoutes } from './routes/reservations.js';
import type { ApiServices } from './services.js';

export interface AppDeps extends ApiServices {
  config: Config;
  /** For the rebuild: whether the persister has caught up with Kafka. */
  kafkaAdmin: Admin;
  logger: Logger;
  registry: Registry;
  /** Dependency probes behind /readyz. */
  probes: Probes;
}

/** Errors Hono itself throws (malformed JSON, timeouts), mapped onto our codes. */
const HTTP_EXCEPTION_CODES: Record<number, ErrorCode> = {
  400: 'validation_failed',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  503: 'overloaded',
  504: 'timeout',
};

export function createApp(deps: AppDeps) {
  const { config, logger, registry } = deps;
  const app = createRouter();

  const answerError = errorHandler(logger);
  app.use(
    requestPipeline({
      observe: createRequestObserver(logger, registry),
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
    opsRoutes({ registry, probes: deps.probes, readyTimeoutMs: config.READY_CHECK_TIMEOUT_MS }),
  );
  app.route('/', authRoutes(deps));
  const catalog = {
    db: deps.db,
    holds: deps.holds,
    cache: deps.cache,
    defaultHoldTtlSeconds: config.HOLD_TTL_SECONDS,
  };
  app.route('/', eventRoutes({ ...catalog, availabilityCacheMs: config.AVAILABILITY_CACHE_MS }));
  const kafka = kafkaNames(config.KAFKA_TOPIC_PREFIX);
  app.route(
    '/',
    adminEventRoutes({
      ...catalog,
      publish: (change) => appendCatalogChange(deps.redis, deps.holds.keys, change),
      rebuild: {
        kafkaAdmin: deps.kafkaAdmin,
        topic: kafka.reservations,
        persisterGroup: kafka.group('persister'),
      },
    }),
  );
  app.route(
    '/',
    reservationRoutes({
      holds: deps.holds,
      db: deps.db,
      metrics: deps.metrics,
      payments: simulatedPayments(config.PAYMENT_DELAY_MS),
    }),
  );
  app.route('/', recordRoutes({ db: deps.db }));

  app.openAPIRegistry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
  });
  // Generated once: the routes do not change after start-up.
  const openApiDocument = app.getOpenAPI31Document({
    openapi: '3.1.0',
    info: {
      title: 'Drop engine API',
      version: '1.0.0',
      description:
        'Redis-first reservation engine for ticket drops. Errors are RFC 9457 problem+json.',
    },
  });
  app.get('/openapi.json', (c) => c.json(openApiDocument));
  app.get('/docs', swaggerUI({ url: '/openapi.json', title: 'Drop engine API' }));

  app.notFound((c) => problemResponse(c, new ApiError('not_found', 'No such resource')));

  app.onError(answerError);

  return app;
}

export type App = ReturnType<typeof createApp>;

/** Every error as problem+json: ours as they are, Hono's and dependency failures mapped. */
function errorHandler(logger: Logger) {
  return (err: Error, c: Context<AppEnv>): Response => {
    if (err instanceof ApiError) {
      if (err.status >= 500)
        logOf(c, logger).warn({ code: err.code, detail: err.detail }, 'refused');
      return problemResponse(c, err);
    }
    if (err instanceof HTTPException) {
      const code = HTTP_EXCEPTION_CODES[err.status] ?? 'internal_error';
      return problemResponse(c, new ApiError(code, err.message || code));
    }
    if (isDependencyDown(err)) {
      logOf(c, logger).error({ err }, 'dependency unavailable');
      return problemResponse(
        c,
        new ApiError('dependency_unavailable', 'A backing service is unavailable; retry shortly', {
          headers: { 'Retry-After': '1' },
        }),
      );
    }
    // Unexpected: log everything, answer nothing about the inside.
    logOf(c, logger).error({ err }, 'unhandled error');
    return problemResponse(c, new ApiError('internal_error', 'An unexpected error occurred'));
  };
}
