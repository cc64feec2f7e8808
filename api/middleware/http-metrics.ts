// Route-labelled HTTP metrics on prom-client: labels are method, the matched route
// pattern and the status class, so cardinality stays bounded whatever the URLs.
import { createMiddleware } from 'hono/factory';
import { Counter, Histogram, type Registry } from 'prom-client';
import { matchedRoute } from './matched-route.js';

/** Buckets from 0.25 ms: the Redis hot path answers well under a millisecond. */
export const HTTP_BUCKETS = [
  0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

export function httpMetrics(registry: Registry) {
  const labelNames = ['method', 'route', 'status_class'] as const;
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by method, route pattern and status class',
    labelNames,
    buckets: HTTP_BUCKETS,
    registers: [registry],
  });
  const requests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests by method, route pattern and status class',
    labelNames,
    registers: [registry],
  });
  return createMiddleware(async (c, next) => {
    const stop = duration.startTimer();
    await next();
    const labels = {
      method: c.req.method,
      route: matchedRoute(c),
      status_class: `${Math.floor(c.res.status / 100)}xx`,
    };
    stop(labels);
    requests.inc(labels);
  });
}
