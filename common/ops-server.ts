// The small HTTP server the worker and the reaper expose for operators:
// /healthz (liveness), /readyz (dependencies) and /metrics (Prometheus).
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import type { Registry } from 'prom-client';
import { checkReadiness, type Probes } from './health.js';

export function createOpsApp(registry: Registry, probes: Probes, readyTimeoutMs: number): Hono {
  const app = new Hono();
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => {
    const { ready, checks } = await checkReadiness(probes, readyTimeoutMs);
    return c.json({ status: ready ? 'ready' : 'not_ready', checks }, ready ? 200 : 503);
  });
  app.get('/metrics', async (c) =>
    c.body(await registry.metrics(), 200, { 'Content-Type': registry.contentType }),
  );
  return app;
}

export function startOpsServer(app: Hono, hostname: string, port: number) {
  return new Promise<ReturnType<typeof serve>>((resolve) => {
    const server = serve({ fetch: app.fetch, hostname, port }, () => resolve(server));
  });
}
