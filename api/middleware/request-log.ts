// One JSON line per request with its id, route, status and duration; the request's
// logger (c.var.log) carries the id on every line a handler writes.
import { createMiddleware } from 'hono/factory';
import type { Logger } from '../../common/logger.js';
import type { AppEnv } from '../env.js';
import { matchedRoute } from './matched-route.js';

export const requestLog = (logger: Logger) =>
  createMiddleware<AppEnv>(async (c, next) => {
    const started = performance.now();
    const log = logger.child({ reqId: c.var.requestId });
    c.set('log', log);
    await next();
    const status = c.res.status;
    const line = {
      method: c.req.method,
      route: matchedRoute(c),
      userId: c.get('principal')?.userId,
      status,
      durationMs: Math.round((performance.now() - started) * 100) / 100,
    };
    if (status >= 500) log.error(line, 'request failed');
    else log.info(line, 'request');
  });
