// Each request observed once: one timer and one route lookup feed both the HTTP metrics
// (always) and the request log line (when its level is on).
import type { Context } from 'hono';
import type { Registry } from 'prom-client';
import type { Logger } from '../../platform/logger.js';
import type { AppEnv } from '../env.js';
import { createHttpMetrics } from './http-metrics.js';
import { matchedRoute } from './matched-route.js';
import { logRequest } from './request-log.js';

/** Records an answered request that started at `started` (performance.now()). */
export function createRequestObserver(logger: Logger, registry: Registry) {
  const record = createHttpMetrics(registry);
  const observe = (c: Context<AppEnv>, started: number) => {
    const elapsedMs = performance.now() - started;
    const route = matchedRoute(c);
    const status = c.res.status;
    record(c.req.method, route, status, elapsedMs / 1000);
    logRequest(c, logger, { route, status, durationMs: Math.round(elapsedMs * 100) / 100 });
  };
  /** The same for a request answered before the app (the crowd lane): the same series and line. */
  const answered = (request: {
    method: string;
    route: string;
    status: number;
    started: number;
    requestId: string;
    userId: string | undefined;
  }) => {
    const elapsedMs = performance.now() - request.started;
    record(request.method, request.route, request.status, elapsedMs / 1000);
    if (!logger.isLevelEnabled('info')) return;
    const { method, route, status, requestId, userId } = request;
    const durationMs = Math.round(elapsedMs * 100) / 100;
    logger.info({ reqId: requestId, method, route, status, durationMs, userId }, 'request');
  };
  return Object.assign(observe, { answered });
}
