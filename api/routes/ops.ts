// Operations endpoints: liveness, readiness of Redis/Postgres/Kafka, Prometheus metrics.
import { createRoute, z } from '@hono/zod-openapi';
import type { Registry } from 'prom-client';
import { checkReadiness, type Probes } from '../../common/health.js';
import { ApiError, problemResponses } from '../problem.js';
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
  },
});

const readyz = createRoute({
  method: 'get',
  path: '/readyz',
  tags: ['operations'],
  summary: 'Readiness: Redis, Postgres and Kafka all answer',
  responses: {
    200: {
      description: 'Ready',
      content: {
        'application/json': {
          schema: z.object({ status: z.literal('ready'), checks: ChecksSchema }),
        },
      },
    },
    ...problemResponses([503, 'A dependency does not answer (not_ready); `checks` names it']),
  },
});

export function opsRoutes(deps: { registry: Registry; probes: Probes; readyTimeoutMs: number }) {
  const app = createRouter();

  app.openapi(healthz, (c) => c.json({ status: 'ok' as const }, 200));

  app.openapi(readyz, async (c) => {
    const { ready, checks } = await checkReadiness(deps.probes, deps.readyTimeoutMs);
    if (!ready) {
      const failing = Object.keys(checks).filter((name) => checks[name] !== 'ok');
      throw new ApiError('not_ready', `Not reachable: ${failing.join(', ')}`, {
        extra: { checks },
        headers: { 'Retry-After': '1' },
      });
    }
    return c.json({ status: 'ready' as const, checks }, 200);
  });

  // Plain text exposition format; kept out of the OpenAPI document.
  app.get('/metrics', async (c) =>
    c.body(await deps.registry.metrics(), 200, { 'Content-Type': deps.registry.contentType }),
  );

  return app;
}
