// Route-labelled HTTP metrics: labels are method, the matched route pattern and the
// status class, so cardinality stays bounded whatever the URLs. Counted through hot-metrics
// children, one pair per label set, looked up by a plain string key.
import type { Registry } from 'prom-client';
import {
  type HotCounterChild,
  type HotHistogramChild,
  hotCounter,
  hotHistogram,
} from '../../platform/hot-metrics.js';

/** Buckets from 0.25 ms: the Redis hot path answers well under a millisecond. */
export const HTTP_BUCKETS = [
  0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

/** Records one answered request: `record(method, route, status, seconds)`. */
export function createHttpMetrics(registry: Registry) {
  const labelNames = ['method', 'route', 'status_class'] as const;
  const duration = hotHistogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by method, route pattern and status class',
    labelNames,
    buckets: HTTP_BUCKETS,
    registers: [registry],
  });
  const requests = hotCounter({
    name: 'http_requests_total',
    help: 'HTTP requests by method, route pattern and status class',
    labelNames,
    registers: [registry],
  });
  const series = new Map<string, { duration: HotHistogramChild; requests: HotCounterChild }>();
  return function record(method: string, route: string, status: number, seconds: number) {
    const statusClass = Math.floor(status / 100);
    const key = `${statusClass} ${method} ${route}`;
    let children = series.get(key);
    if (!children) {
      const labels = { method, route, status_class: `${statusClass}xx` };
      children = { duration: duration.child(labels), requests: requests.child(labels) };
      series.set(key, children);
    }
    children.duration.observe(seconds);
    children.requests.inc();
  };
}
