// Every readiness endpoint's 503 is one problem+json (platform/health.ts): here the ops
// server each process runs, while draining and with a probe down.
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createOpsApp } from '../../platform/ops-server.js';

const problem = { type: '/problems/not_ready', title: 'Not ready', status: 503, code: 'not_ready' };

describe('the ops server /readyz', () => {
  it('answers the api’s not_ready problem while draining', async () => {
    const app = createOpsApp(new Registry(), { redis: async () => 'PONG' }, 100, () => true);
    const res = await app.request('/readyz');
    expect(res.status).toBe(503);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(res.headers.get('retry-after')).toBe('1');
    expect(await res.json()).toEqual({
      ...problem,
      detail: 'Shutting down',
      checks: { shutdown: 'draining' },
    });
  });

  it('names the probe that failed', async () => {
    const probes = {
      redis: async () => 'PONG',
      kafka: async () => {
        throw new Error('broker down');
      },
    };
    const res = await createOpsApp(new Registry(), probes, 100).request('/readyz');
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({
      ...problem,
      detail: 'Not reachable: kafka',
      checks: { redis: 'ok', kafka: 'broker down' },
    });
  });

  it('answers ready with the checks', async () => {
    const res = await createOpsApp(new Registry(), { redis: async () => 1 }, 100).request(
      '/readyz',
    );
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ready', checks: { redis: 'ok' } });
  });
});
