// The verifier: after Redis boots (a restart, a failover, perhaps with the last second of
// its writes lost) every event is fenced (lua/includes/fence.lua); the verifier checks each
// against the durable record and reconciles it where Redis lost what the record knows
// (core/records/rebuild.ts), and the event sells again — no operator needed.
//
// Each tick reads the boots (LASTSAVE and run_id of each Redis node) and the fence of every
// live event (lua/eventFence-1.lua, on the node that holds it); when a node booted it also
// walks the events the record says this Redis held (a Redis that lost everything knows
// none). An event is verified against the boot of its own node (Redis Cluster). Every event found unverified — after a
// boot, or an operator's rebuild that stopped halfway — is checked.
// A new LASTSAVE under the same run_id is an RDB snapshot, not a restart: those events
// are re-marked at once. Several reapers may verify at once: one per event, by lease.
import { randomUUID } from 'node:crypto';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { markedEvents } from '../core/records/event-marks.js';
import { type RebuildDeps, RebuildRefused, rebuildEvent } from '../core/records/rebuild.js';
import type { Logger } from '../platform/logger.js';
import { createLoop } from '../platform/loop.js';
import type { RedisClient } from '../platform/redis.js';

export interface VerifierOptions {
  intervalMs: number;
  /** How long one event's check may wait for the record to catch up before retrying. */
  waitMs?: number;
}

export function createVerifier(
  deps: RebuildDeps & { redis: RedisClient },
  logger: Logger,
  registry: Registry,
  options: VerifierOptions,
) {
  const { holds, redis } = deps;
  const owner = randomUUID();
  let verifiedBoots: string | undefined;
  let fencedNow = 0;

  new Gauge({
    name: 'verifier_fenced_events',
    help: 'Events not selling until checked against the durable record (last pass)',
    registers: [registry],
    collect() {
      this.set(fencedNow);
    },
  });
  const outcomes = new Counter({
    name: 'verifier_events_total',
    help: 'Events checked after a Redis boot, by outcome',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const checkSeconds = new Histogram({
    name: 'verifier_check_duration_seconds',
    help: 'Time to check (and reconcile) one fenced event',
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });

  /** Checks one fenced event, under a lease so one verifier does it; true when it sells. */
  async function verify(eventId: string) {
    const fence = await holds.fence(eventId);
    if (fence.verified) return true;
    const { at } = fence;
    if (fence.exists && fence.verifiedRun === at.runId) {
      // The same Redis process: a snapshot moved LASTSAVE, nothing was lost.
      const marked = await holds.markVerified(eventId, 0, at);
      outcomes.inc({ outcome: 'snapshot' });
      return marked;
    }
    const lease = holds.keys.event(eventId).rebuildLease;
    const leaseMs = (options.waitMs ?? 30_000) + 30_000;
    if ((await redis.set(lease, owner, 'PX', leaseMs, 'NX')) !== 'OK') return false;
    const stop = checkSeconds.startTimer();
    try {
      const result = await rebuildEvent(deps, eventId, at, { waitMs: options.waitMs });
      outcomes.inc({ outcome: result.outcome });
      logger.warn({ ...result }, 'event checked after a Redis boot');
      return result.marked;
    } catch (err) {
      if (!(err instanceof RebuildRefused)) throw err;
      outcomes.inc({ outcome: err.reason });
      // A deleted event has nothing left to sell or to check.
      if (err.reason === 'not_found') return true;
      logger.warn({ eventId, reason: err.reason }, 'event stays fenced; retrying');
      return false;
    } finally {
      stop();
      if ((await redis.get(lease)) === owner) await redis.del(lease);
    }
  }

  async function tick(): Promise<void> {
    const boots = await holds.boots();
    const events = new Set(await holds.liveEvents());
    if (boots !== verifiedBoots)
      for (const eventId of await markedEvents(deps.db, deps.namespace)) events.add(eventId);
    const fences = await holds.fences([...events]);
    const unverified = [...events].filter((_, i) => !fences[i]?.verified);
    const results = await Promise.all(unverified.map((eventId) => verify(eventId)));
    fencedNow = results.filter((ok) => !ok).length;
    if (fencedNow === 0) verifiedBoots = boots;
  }

  const loop = createLoop(
    tick,
    () => options.intervalMs,
    (err) => logger.error({ err }, 'verifier tick failed; retrying next tick'),
  );
  return { tick, start: () => loop.start(0), stop: () => loop.stop() };
}

export type Verifier = ReturnType<typeof createVerifier>;
