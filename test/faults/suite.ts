// The suite of one Redis fault (redis-*.test.ts): the scenario, then every guarantee.
import { rm } from 'node:fs/promises';
import { afterAll, describe, expect, it, onTestFailed } from 'vitest';
import { fenceWithVerifierPaused } from './fence.js';
import { type PausedVerifierReport, publish, type ScenarioReport } from './report.js';
import { runScenario } from './scenario.js';
import type { FaultKind, Resources } from './setup.js';

/** The suite of one fault: the scenario, then every guarantee as a soft assertion. */
export function faultSuite(kind: FaultKind, title: string) {
  describe(`Redis fault mid-surge: ${title}`, () => {
    const res: Resources = {};
    let failed = false;
    afterAll(async () => {
      if (res.client) res.client.mode = 'stop';
      res.engine?.processes.reaper.child.kill('SIGCONT');
      await res.engine?.stop();
      await res.redis?.stop();
      res.reader?.disconnect();
      await res.sql?.end({ timeout: 2 });
      if (res.redis && !failed && !process.env.FAULTS_KEEP_DATA)
        await rm(res.redis.dir, { recursive: true, force: true });
    });

    it('sells no seat twice, loses no acknowledged confirmation, resumes sales by itself', async () => {
      onTestFailed(() => {
        failed = true;
        if (res.engine) console.log(`[faults] ${kind}: engine output\n${res.engine.output()}`);
      });
      const r: ScenarioReport & { pausedVerifier?: PausedVerifierReport } = await runScenario(
        kind,
        res,
      );
      // After a plain kill, once more with the verifier paused: the fence, deterministically.
      if (kind === 'kill') r.pausedVerifier = await fenceWithVerifierPaused(res);
      await publish(r);

      // (4) sales resumed without anyone stepping in, and the fence was a fence.
      const soft = (value: unknown, what: string) => expect.soft(value, what);
      soft(r.fencedMs, 'a reserve answered 201 within 30 s of Redis answering').not.toBeNull();
      soft(r.processesExited, 'engine processes that exited').toEqual([]);
      soft(r.samples.unexpectedAnswers, 'no 5xx but 503, no dropped connection, ever').toEqual([]);
      soft(r.samples.bad503s, 'every 503 is dependency_unavailable with Retry-After').toEqual([]);
      soft(
        r.samples.reserve404sAfterKill,
        'reserves answered 404 for the event after the crash',
      ).toEqual([]);

      // (1) every acknowledged confirmation (and cancellation) is in Postgres, from the
      // moment it is acknowledged.
      soft(r.atKill.notInPostgres, 'acked confirmations not in Postgres at the crash').toBe(0);
      soft(
        r.atKill.cancellationsNotInPostgres,
        'acked cancellations not in Postgres at the crash',
      ).toBe(0);
      soft(r.samples.confirmationsLost, 'acked confirmations missing from Postgres').toEqual([]);
      soft(r.samples.cancellationsLost, 'acked cancellations missing from Postgres').toEqual([]);

      // (1b) every paid fan hears of it, once: the notification follows the record.
      soft(
        r.notifications.notSentInTime,
        'acked confirmations not notified within 10 s of Redis coming back',
      ).toBe(0);
      soft(r.notifications.missing, 'confirmed in Postgres without a notification').toBe(0);
      soft(r.notifications.notSent, 'confirmed in Postgres without a sent notification').toBe(0);
      soft(r.notifications.duplicates, 'reservations notified of their confirmation twice').toBe(0);

      // (2) nothing sold twice; the public availability is what Redis holds.
      for (const c of r.categories) {
        soft(c.postgresConfirmed, `Postgres confirmed ≤ capacity (${c.id})`).toBeLessThanOrEqual(
          c.capacity,
        );
        soft(c.redisConfirmed, `Redis has the category again (${c.id})`).not.toBeNull();
        soft(c.availableApi, `the availability lists the category (${c.id})`).not.toBeNull();
        if (c.availableApi === null || c.redisConfirmed === null || c.redisHeld === null) continue;
        soft(c.availableApi, `availability ≥ 0 (${c.id})`).toBeGreaterThanOrEqual(0);
        soft(c.availableApi, `availability = capacity − held − confirmed in Redis (${c.id})`).toBe(
          c.capacity - c.redisHeld - c.redisConfirmed,
        );
      }
      // (3) SPEC §3 invariants against Redis.
      soft(r.invariants, 'SPEC §3 invariants in Redis').toBe('ok');

      if (kind === 'kill') {
        // A process kill keeps the page cache: nothing acknowledged may be missing.
        soft(r.afterRestart.acknowledgedHoldsGoneFromRedis, 'acked holds gone from Redis').toBe(0);
        soft(r.holdsLost, 'acked holds lost').toBe(0);
        // The boot fences even when nothing was lost, until the verifier has looked.
        const p = r.pausedVerifier;
        soft(p?.apiReachedRedisAfterMs, 'verifier paused: the api reached Redis').not.toBeNull();
        soft(p?.unfencedWhilePaused, 'verifier paused: reserves not answered 503').toEqual([]);
        soft(
          p?.fencedAfterReachable,
          'verifier paused: reserves answered 503 while the api reached Redis',
        ).toBeGreaterThan(0);
        soft(p?.liftedAfterMs, 'verifier resumed: sales back within 30 s').not.toBeNull();
        soft(p?.invariants, 'verifier resumed: SPEC §3 invariants in Redis').toBe('ok');
        soft(p?.availabilityMatchesRedis, 'verifier resumed: availability = Redis').toBe(true);
      }
    }, 420_000);
  });
}
