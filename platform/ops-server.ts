// The small HTTP server each process (api, worker, reaper) exposes for operators on a port
// of its own, off the public one: /healthz (liveness), /readyz (dependencies; 503 once a
// shutdown has begun, the same problem+json as the api's /readyz) and /metrics (Prometheus).
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import type { Registry } from 'prom-client';
import { notReadyProblem, type Probes, readiness } from './health.js';

export function createOpsApp(
  registry: Registry,
  probes: Probes,
  readyTimeoutMs: number,
  draining: () => boolean = () => false,
): Hono {
  const app = new Hono();
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => {
    const verdict = await readiness(probes, readyTimeoutMs, draining);
    if (verdict.ready) return c.json({ status: 'ready', checks: verdict.checks });
    // The api's /readyz 503, problem+json (platform/health.ts).
    const { status, headers, body } = notReadyProblem(verdict);
    return new Response(JSON.stringify(body), { status, headers });
  });
  app.get('/metrics', async (c) =>
    c.body(await registry.metrics(), 200, { 'Content-Type': registry.contentType }),
  );
  return app;
}

/** Resolves once it listens (port 0: any free port, see server.address()); rejects if it cannot. */
export function startOpsServer(app: Hono, hostname: string, port: number) {
  return new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const server = serve({ fetch: app.fetch, hostname, port }, () => resolve(server));
    server.once('error', reject);
  });
}
