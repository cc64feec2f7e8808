// The app factory: one OpenAPIHono with the cross-cutting middleware, every resource's
// router, problem+json errors and the OpenAPI document. main.ts serves it; tests call
// app.request() on the same factory.
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { Admin } from 'kafkajs';
import type { Registry } from 'prom-client';
import { catalogOperations } from '../core/admin/catalog.js';
import { PasswordWorkBusy } from '../core/auth/passwords.js';
import { appendCatalogChange } from '../core/catalog/changes.js';
import { isMarked } from '../core/records/event-marks.js';
import { createSaleRecorder } from '../core/records/sales.js';
import { simulatedPayments } from '../core/reservations/payments.js';
import type { Config } from '../platform/config.js';
import type { Probes } from '../platform/health.js';
import { kafkaNames } from '../platform/kafka.js';
import type { Logger } from '../platform/logger.js';
import { createCrowdLane } from './crowd-lane.js';
import { isDependencyDown } from './dependency-errors.js';
import { docsRoutes } from './docs.js';
import type { AppEnv } from './env.js';
import { createBodyLimit } from './middleware/body-limit.js';
import { createRequestObserver } from './middleware/observe.js';
import { requestPipeline } from './middleware/pipeline.js';
import { logOf } from './middleware/request-log.js';
import { ApiError, type ErrorCode, problemResponse } from './problem.js';
import { createRouter } from './router.js';
import { adminEventRoutes } from './routes/admin-events.js';
import { adminUserRoutes } from './routes/admin-users.js';
import { authRoutes } from './routes/auth.js';
import { eventRoutes } from './routes/events.js';
import { opsRoutes } from './routes/ops.js';
import { queueRoutes } from './routes/queue.js';
import { recordRoutes } from './routes/records.js';
import { reservationRoutes } from './routes/reservations.js';
import { seatRoutes } from './routes/seats.js';
import type { ApiServices } from './services.js';

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
  const operations = catalogOperations({
    ...catalog,
    redis: deps.redis,
    namespace: config.REDIS_KEY_PREFIX,
    publish: (change) => appendCatalogChange(deps.redis, deps.holds.keys, change),
    logger,
  });
  app.route('/', seatRoutes({ ...catalog, catalog: operations }));
  app.route(
    '/',
    adminEventRoutes({
      ...catalog,
      catalog: operations,
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
      payments: simulatedPayments(config.PAYMENT_DELAY_MS),
      recordSale: createSaleRecorder(deps.sql, config.REDIS_KEY_PREFIX, config.NOTIFY_CHANNEL),
      eventLost: (eventId) => isMarked(deps.db, config.REDIS_KEY_PREFIX, eventId),
      passes: deps.queuePasses,
      views: deps.eventViews,
    }),
  );
  app.route(
    '/',
    queueRoutes({
      queue: deps.queue,
      passes: deps.queuePasses,
      tickets: deps.queueTickets,
      views: deps.eventViews,
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
  app.route('/', docsRoutes());

  // A known path with a method it does not have: 405 with Allow (RFC 9110 §15.5.6); an
  // OPTIONS request is answered with the Allow list itself.
  const allowedMethods = methodsByPath(app.routes);
  app.notFound((c) => {
    const allowed = allowedMethods(c.req.path);
    if (allowed.length === 0) {
      return problemResponse(c, new ApiError('not_found', 'No such resource'));
    }
    const allow = allowed.join(', ');
    if (c.req.method === 'OPTIONS') return c.body(null, 204, { Allow: allow });
    return problemResponse(
      c,
      new ApiError('method_not_allowed', `${c.req.method} is not allowed here; use ${allow}`, {
        headers: { Allow: allow },
      }),
    );
  });

  app.onError(answerError);

  // The crowd's reads before the app (api/crowd-lane.ts); not with rate limits in the
  // engine, which count every request.
  const crowdLane = deps.rateLimits.requests
    ? undefined
    : createCrowdLane({
        views: deps.eventViews,
        tickets: deps.queueTickets,
        tokens: deps.accessTokens,
        shedder: deps.loadShedder,
        observe,
        registry,
      });
  return Object.assign(app, { crowdLane });
}

export type App = ReturnType<typeof createApp>;

/**
 * The methods each path answers, from the registered routes (middleware, registered for
 * every method, left out), for 405 answers. Read on first use: all routes are in by then.
 */
function methodsByPath(routes: readonly { method: string; path: string }[]) {
  let table: { pattern: RegExp; methods: Set<string> }[] | undefined;
  const build = () => {
    const byPath = new Map<string, Set<string>>();
    for (const { method, path } of routes) {
      if (method === 'ALL' || path.includes('*')) continue;
      const methods = byPath.get(path) ?? new Set<string>();
      methods.add(method);
      if (method === 'GET') methods.add('HEAD');
      byPath.set(path, methods);
    }
    return [...byPath].map(([path, methods]) => ({
      pattern: new RegExp(
        `^${path
          .split('/')
          .map((part) =>
            part.startsWith(':') ? '[^/]+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
          )
          .join('/')}/?$`,
      ),
      methods,
    }));
  };
  return (path: string): string[] => {
    table ??= build();
    const methods = new Set<string>();
    for (const entry of table) {
      if (entry.pattern.test(path)) for (const m of entry.methods) methods.add(m);
    }
    return [...methods];
  };
}

/** SQLSTATE of a Postgres error (postgres.js), also when drizzle wrapped it as the cause. */
const sqlState = (err: unknown): string | undefined => {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
  const cause = (err as { cause?: unknown } | null)?.cause;
  return cause ? sqlState(cause) : undefined;
};

/**
 * A Postgres refusal caused by what the request asked for, should one slip past the
 * schemas: data exceptions (class 22: a value out of range, a character it cannot store)
 * and check violations are the caller's input; unique and foreign-key violations are
 * conflicts with what is stored. Never a 500.
 */
function storeRefusal(err: unknown): ApiError | undefined {
  const state = sqlState(err);
  if (!state) return undefined;
  if (state.startsWith('22') || state === '23514') {
    return new ApiError('validation_failed', 'A value is outside what the store accepts', {
      extra: { errors: [{ in: 'body', field: '', message: 'a value is out of range' }] },
    });
  }
  if (state === '23505' || state === '23503' || state === '23P01') {
    return new ApiError('invalid_state', 'This conflicts with what is stored already');
  }
  return undefined;
}

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
    if (err instanceof PasswordWorkBusy) {
      return problemResponse(
        c,
        new ApiError('overloaded', 'Too many sign-ins at once; retry shortly', {
          headers: { 'Retry-After': '1' },
        }),
      );
    }
    const refusal = storeRefusal(err);
    if (refusal) {
      // Input the schemas should have refused: answered, and logged to be fixed there.
      logOf(c, logger).warn({ err }, 'store refused the input');
      return problemResponse(c, refusal);
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
