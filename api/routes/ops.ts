// Operations endpoints on the public port: liveness and readiness of Redis/Postgres/Kafka.
// Readiness turns 503 the moment a shutdown begins, so load balancers stop sending before
// the listener closes. Prometheus metrics are not here: they are served on the api's ops
// port (API_METRICS_PORT, platform/ops-server.ts), like the worker's and the reaper's.
import { createRoute, z } from '@hono/zod-openapi';
import { notReadyProblem, type Probes, readiness } from '../../platform/health.js';
import { ANY_ROUTE, ApiError, refusalResponses } from '../problem.js';
import { jsonResponse } from '../responses.js';
import { createRouter } from '../router.js';

const ChecksSchema = z
  .record(z.string(), z.string())
  .openapi({ example: { redis: 'ok', postgres: 'ok', kafka: 'ok' } });

const healthz = createRoute({
  method: 'get',
  path: '/healthz',
  tags: ['operations'],
  summary: 'Liveness: the process is up',
  responses: {
    200: {
      description: 'Alive',
      content: { 'application/json': { schema: z.object({ status: z.literal('ok') }) } },
    },
    ...refusalResponses({}, ANY_ROUTE),
  },
});

const readyz = createRoute({
  method: 'get',
  path: '/readyz',
  tags: ['operations'],
  summary: 'Readiness: Redis, Postgres and Kafka all answer, and no shutdown has begun',
  responses: {
    200: {
      description: 'Ready',
      content: {
        'application/json': {
          schema: z.object({ status: z.literal('ready'), checks: ChecksSchema }),
        },
      },
    },
    ...refusalResponses(
      {
        not_ready:
          'A dependency does not answer, or the api is shutting down; `checks` names the dependency',
      },
      ANY_ROUTE,
    ),
  },
});

export interface OpsDeps {
  probes: Probes;
  readyTimeoutMs: number;
  /** True once a shutdown has begun (main.ts); readiness fails from then on. */
  draining?: () => boolean;
}

export function opsRoutes(deps: OpsDeps) {
  const app = createRouter();

  app.openapi(healthz, () => jsonResponse({ object: { status: 'ok' as const } }, 200));

  app.openapi(readyz, async () => {
    const verdict = await readiness(deps.probes, deps.readyTimeoutMs, deps.draining);
    if (!verdict.ready) {
      // The same 503 every ops server answers (platform/health.ts notReadyProblem).
      const { headers } = notReadyProblem(verdict);
      throw new ApiError('not_ready', verdict.detail, {
        extra: { checks: verdict.checks },
        headers: { 'Retry-After': headers['Retry-After'] },
      });
    }
    return jsonResponse({ object: { status: 'ready' as const, checks: verdict.checks } }, 200);
  });

  return app;
}
