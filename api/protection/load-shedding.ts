// Load shedding: when the api is saturated it refuses at once with 503 + Retry-After,
// instead of queueing requests until clients time out (which helps nobody in a drop).
// Saturated means too many requests in flight, or an event loop lagging behind.
import { Counter, Gauge, type Registry } from 'prom-client';
import { ApiError } from '../problem.js';

const SAMPLE_MS = 50;
const DECAY = 0.7;

export function createLoadShedder(
  registry: Registry,
  bounds: { maxInFlight: number; maxEventLoopDelayMs: number },
) {
  let inFlight = 0;
  let lagMs = 0;
  // A timer that should fire every SAMPLE_MS: how late it fires is the loop's delay. A spike
  // decays over a few samples instead of vanishing at the next one, so shedding holds for
  // a moment after a stall rather than flapping.
  let expected = performance.now() + SAMPLE_MS;
  const sampler = setInterval(() => {
    const now = performance.now();
    lagMs = Math.max(now - expected, lagMs * DECAY, 0);
    expected = now + SAMPLE_MS;
  }, SAMPLE_MS);
  sampler.unref();

  const shed = new Counter({
    name: 'api_shed_total',
    help: 'Requests refused with 503 overloaded, by reason',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  new Gauge({
    name: 'api_in_flight_requests',
    help: 'Requests being handled now',
    registers: [registry],
    collect() {
      this.set(inFlight);
    },
  });

  const refuse = (reason: 'in_flight' | 'event_loop_delay', detail: string) => {
    shed.inc({ reason });
    return new ApiError('overloaded', detail, { headers: { 'Retry-After': '1' } });
  };

  /**
   * Admits a request (counted in flight until `done`), or returns the 503 to answer when
   * the api is saturated.
   */
  function admit(): ApiError | undefined {
    if (bounds.maxInFlight > 0 && inFlight >= bounds.maxInFlight) {
      return refuse('in_flight', 'The service is at capacity; retry shortly');
    }
    if (bounds.maxEventLoopDelayMs > 0 && lagMs > bounds.maxEventLoopDelayMs) {
      return refuse('event_loop_delay', 'The service is overloaded; retry shortly');
    }
    inFlight += 1;
    return undefined;
  }

  return {
    admit,
    /** Whether a request now would be refused (nothing counted): the crowd lane asks. */
    saturated: () =>
      (bounds.maxInFlight > 0 && inFlight >= bounds.maxInFlight) ||
      (bounds.maxEventLoopDelayMs > 0 && lagMs > bounds.maxEventLoopDelayMs),
    /** An admitted request was answered. */
    done: () => {
      inFlight -= 1;
    },
    stop: () => clearInterval(sampler),
    state: () => ({ inFlight, lagMs }),
  };
}

export type LoadShedder = ReturnType<typeof createLoadShedder>;
