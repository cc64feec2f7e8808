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
  return (c: Context<AppEnv>, started: number) => {
    const elapsedMs = performance.now() - started;
    const route = matchedRoute(c);
    const status = c.res.status;
    record(c.req.method, route, status, elapsedMs / 1000);
    logRequest(c, logger, { route, status, durationMs: Math.round(elapsedMs * 100) / 100 });
  };
}
