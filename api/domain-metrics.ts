// The drop as metrics: what every reservation request came to, and the stock left.
import { Counter, Gauge, type Registry } from 'prom-client';
import { HoldError, HoldRefusal } from '../core/reservations/hold.js';
import type { Holds } from '../core/reservations/holds.js';
import { childrenByKey, hotCounter } from '../platform/hot-metrics.js';

/** On-sale events reported with their stock: keeps the series count bounded. */
const MAX_STOCK_EVENTS = 50;

export function createDomainMetrics(registry: Registry, holds: Holds) {
  const outcomes = hotCounter({
    name: 'reservation_outcomes_total',
    help: 'Reservation operations by result: ok or the refusal code',
    labelNames: ['operation', 'result'] as const,
    registers: [registry],
  });
  const outcome = childrenByKey((key) => {
    const gap = key.indexOf(' '); // the operation has none; a result code might
    return outcomes.child({ operation: key.slice(0, gap), result: key.slice(gap + 1) });
  });

  new Gauge({
    name: 'stock_available',
    help: `Seats left per category of on-sale events (at most ${MAX_STOCK_EVENTS} events)`,
    labelNames: ['event_id', 'category'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      let reported = 0;
      for (const eventId of await holds.liveEvents()) {
        if (reported >= MAX_STOCK_EVENTS) break;
        const live = await holds.availability(eventId);
        if (live?.state.status !== 'on_sale') continue;
        reported += 1;
        for (const c of live.categories)
          this.set({ event_id: eventId, category: c.name }, c.available);
      }
    },
  });

  type Operation = 'reserve' | 'confirm' | 'release' | 'cancel';
  /** The result label of a failed operation: the refusal's code. */
  const resultOf = (err: unknown) =>
    err instanceof HoldRefusal
      ? (HoldError[err.code] ?? 'refused')
      : ((err as { code?: string }).code ?? 'error');
  /** Counts a finished operation: ok, or the code of what it threw. */
  function count(operation: Operation, err?: unknown) {
    outcome(`${operation} ${err === undefined ? 'ok' : resultOf(err)}`).inc();
  }

  /**
   * Runs a reservation operation and counts how it ended; `succeeded` names an operation
   * whose kind only its result tells (a give-back is a release or a cancel).
   */
  async function track<T>(
    operation: Operation,
    run: () => Promise<T>,
    succeeded?: (result: T) => Operation,
  ): Promise<T> {
    try {
      const result = await run();
      count(succeeded ? succeeded(result) : operation);
      return result;
    } catch (err) {
      count(operation, err);
      throw err;
    }
  }

  const passesUsed = new Counter({
    name: 'queue_passes_used_total',
    help: 'Holds placed with a waiting room’s queue pass',
    registers: [registry],
  });

  return { track, count, queuePassUsed: () => passesUsed.inc() };
}

export type DomainMetrics = ReturnType<typeof createDomainMetrics>;
