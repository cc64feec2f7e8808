// Load shedding (api/protection/load-shedding.ts): 503 at once past the in-flight bound.
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { createLoadShedder, type LoadShedder } from '../../api/protection/load-shedding.js';

const shedders: LoadShedder[] = [];
function shedder(maxInFlight: number, registry = new Registry()) {
  const s = createLoadShedder(registry, { maxInFlight, maxEventLoopDelayMs: 0 });
  shedders.push(s);
  return s;
}
afterEach(() => {
  for (const s of shedders.splice(0)) s.stop();
});

describe('the load shedder', () => {
  it('admits up to the bound, then refuses with 503 overloaded and Retry-After', () => {
    const s = shedder(2);
    expect([s.admit(), s.admit()]).toEqual([undefined, undefined]);
    expect(s.saturated()).toBe(true);
    const refused = s.admit();
    expect(refused).toMatchObject({ status: 503, code: 'overloaded' });
    expect(refused?.options.headers).toEqual({ 'Retry-After': '1' });
    expect(s.state().inFlight).toBe(2);
  });

  it('admits again once a request is done', () => {
    const s = shedder(1);
    expect(s.admit()).toBeUndefined();
    expect(s.admit()).toBeDefined();
    s.done();
    expect(s.saturated()).toBe(false);
    expect(s.admit()).toBeUndefined();
  });

  it('with no bound admits everything', () => {
    const s = shedder(0);
    for (let i = 0; i < 1000; i++) expect(s.admit()).toBeUndefined();
    expect(s.saturated()).toBe(false);
  });

  it('counts each refusal by its reason and shows the requests in flight', async () => {
    const registry = new Registry();
    const s = shedder(1, registry);
    s.admit();
    s.admit();
    s.admit();
    const metrics = await registry.metrics();
    expect(metrics).toContain('api_shed_total{reason="in_flight"} 2');
    expect(metrics).toContain('api_in_flight_requests 1');
  });
});
