// Admission from the waiting rooms (SPEC §7): every tick, each event with an enabled
// waiting room takes one admitQueue step (lua/admitQueue-6.lua), which admits at the
// event's rate by Redis's clock and notices sold out. The rate is kept in Redis, so any
// number of reapers may tick at once and still admit admitPerSecond in total.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Queue, QueueSummary } from '../core/queue/queue.js';
import type { Logger } from '../platform/logger.js';
import { createLoop } from '../platform/loop.js';

export interface AdmissionOptions {
  intervalMs: number;
  /** the most users one step admits for one event (bounds a script's run time) */
  maxBatch?: number;
}

export function createAdmission(
  queue: Queue,
  logger: Logger,
  registry: Registry,
  options: AdmissionOptions,
) {
  const maxBatch = options.maxBatch ?? 5_000;
  const admitted = new Counter({
    name: 'queue_admitted_total',
    help: 'Users admitted from a waiting room',
    registers: [registry],
  });
  const expired = new Counter({
    name: 'queue_passes_expired_total',
    help: 'Queue passes that expired (used or not)',
    registers: [registry],
  });
  const waitSeconds = new Histogram({
    name: 'queue_wait_seconds',
    help: 'Time from joining a waiting room to admission',
    buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600],
    registers: [registry],
  });
  // Both read on scrape: one queueStatus script per event with a waiting room.
  let summaries: Promise<QueueSummary[]> | undefined;
  const readSummaries = () => {
    summaries ??= queue
      .queuedEvents()
      .then((events) =>
        Promise.all(events.map((eventId) => queue.summary(eventId).catch(() => null))),
      )
      .then((all) => all.filter((s): s is QueueSummary => s !== null))
      .finally(() => {
        summaries = undefined;
      });
    return summaries;
  };
  new Gauge({
    name: 'queue_waiting',
    help: 'Users waiting in the waiting rooms of all events',
    registers: [registry],
    async collect() {
      this.set((await readSummaries()).reduce((sum, s) => sum + s.waiting, 0));
    },
  });
  new Gauge({
    name: 'queue_admitting_events',
    help: 'Waiting rooms that should be admitting now: on sale, stock left, users waiting',
    registers: [registry],
    async collect() {
      this.set(
        (await readSummaries()).filter((s) => s.status === 'admitting' && s.waiting > 0).length,
      );
    },
  });
  const soldOut = new Set<string>();

  async function tick(): Promise<void> {
    const events = await queue.queuedEvents();
    await Promise.all(
      events.map(async (eventId) => {
        const step = await queue.admit(eventId, maxBatch);
        if (step.admitted > 0) admitted.inc(step.admitted);
        if (step.passesExpired > 0) expired.inc(step.passesExpired);
        for (const ms of step.waitsMs) waitSeconds.observe(ms / 1000);
        if (step.soldOut !== soldOut.has(eventId)) {
          if (step.soldOut) soldOut.add(eventId);
          else soldOut.delete(eventId);
          logger.info({ eventId, soldOut: step.soldOut }, 'waiting room sold-out state changed');
        }
      }),
    );
  }

  const loop = createLoop(
    tick,
    () => options.intervalMs,
    (err) => logger.error({ err }, 'admission tick failed; retrying next tick'),
  );
  return { tick, start: () => loop.start(0), stop: () => loop.stop() };
}
