// The reaper: expires holds nobody confirmed and puts their stock back. Each tick it asks
// every live event's expiry set for holds due by Redis's clock and expires them through
// the expire script — which re-checks everything, so any number of reapers may run at
// once and a hold is still expired exactly once. No keyspace notifications: they are
// fire-and-forget and lost while a reaper is down.
import { Counter, Histogram, type Registry } from 'prom-client';
import { HoldError, HoldRefusal } from '../core/reservations/hold.js';
import type { Holds } from '../core/reservations/holds.js';
import type { Logger } from '../platform/logger.js';
import { createLoop } from '../platform/loop.js';

export interface ReaperOptions {
  intervalMs: number;
  /** Holds expired per event per round; a full batch triggers another round at once. */
  batchSize?: number;
}

export function createReaper(
  holds: Holds,
  logger: Logger,
  registry: Registry,
  options: ReaperOptions,
) {
  const batchSize = options.batchSize ?? 500;
  const expired = new Counter({
    name: 'reaper_expired_total',
    help: 'Holds expired by this reaper',
    registers: [registry],
  });
  const lateness = new Histogram({
    name: 'reaper_lateness_seconds',
    help: 'How long after expiresAt a hold was expired',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const ticks = new Histogram({
    name: 'reaper_tick_duration_seconds',
    help: 'Duration of one reaper pass over all live events',
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 5],
    registers: [registry],
  });

  /** Expires what is due in one event; returns how many this reaper expired. */
  async function reapEvent(eventId: string): Promise<number> {
    let total = 0;
    for (;;) {
      const now = await holds.nowMs();
      const due = await holds.due(eventId, now, batchSize);
      if (due.length === 0) return total;
      const results = await Promise.allSettled(due.map((id) => holds.expire(eventId, id)));
      let fenced = false;
      for (const r of results) {
        if (r.status === 'fulfilled') {
          total += 1;
          expired.inc();
          lateness.observe(r.value / 1000);
        } else if (r.reason instanceof HoldRefusal && r.reason.code === HoldError.Fenced) {
          // Redis restarted and the event awaits the verifier: its holds wait too.
          fenced = true;
        } else if (
          !(r.reason instanceof HoldRefusal) ||
          (r.reason.code !== HoldError.NotDue && r.reason.code !== HoldError.HoldNotFound)
        ) {
          // Another reaper winning the race is NotDue; anything else is worth a line.
          throw r.reason;
        }
      }
      if (fenced || due.length < batchSize) return total;
    }
  }

  async function tick(): Promise<number> {
    const stop = ticks.startTimer();
    try {
      const events = await holds.liveEvents();
      const counts = await Promise.all(events.map(reapEvent));
      return counts.reduce((a, b) => a + b, 0);
    } finally {
      stop();
    }
  }

  const loop = createLoop(
    async () => {
      const n = await tick();
      if (n > 0) logger.debug({ expired: n }, 'holds expired');
    },
    () => options.intervalMs,
    (err) => logger.error({ err }, 'reaper tick failed; retrying next tick'),
  );

  return {
    tick,
    start: () => loop.start(),
    /** Stops scheduling and waits for the tick in progress. */
    stop: () => loop.stop(),
  };
}

export type Reaper = ReturnType<typeof createReaper>;
