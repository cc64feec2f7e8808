// The fence seen from outside: when the api reaches Redis again after a restart, and the
// fence made observable with the verifier paused.
import { randomUUID } from 'node:crypto';
import { checkInvariants } from '../helpers/invariants.js';
import { type Answer, type Category, http, sleep } from './drop-client.js';
import { describeAnswer, type PausedVerifierReport, tally } from './report.js';
import { RESUME_WITHIN_MS, type Resources } from './setup.js';

/**
 * When the api reaches Redis again after a restart, seen from outside: the first /readyz
 * whose redis check is ok, or the first read of a known reservation that answers 200 (a
 * read goes to Redis first, so it answers 503 while the api cannot reach it). Polls until
 * `done()` or the deadline; resolves with the time the proving request was sent.
 */
export async function watchReachability(
  base: string,
  known: { id: string; token: string },
  done: () => boolean,
  deadline: number,
): Promise<number | undefined> {
  let at: number | undefined;
  const poll = async (intervalMs: number, probe: () => Promise<boolean>) => {
    while (at === undefined && !done() && Date.now() < deadline) {
      const sent = Date.now();
      if (await probe().catch(() => false)) at = Math.min(at ?? sent, sent);
      else await sleep(intervalMs);
    }
  };
  await Promise.all([
    poll(50, async () => {
      const r = await http(base, 'GET', '/readyz');
      return (r.body.checks as Record<string, string> | undefined)?.redis === 'ok';
    }),
    poll(20, async () => {
      const r = await http(base, 'GET', `/v1/reservations/${known.id}`, known.token);
      return r.status === 200;
    }),
  ]);
  return at;
}

/** How long the fence is watched with the verifier paused, once the api reaches Redis. */
const PAUSED_WATCH_MS = 2000;

/**
 * The fence made observable whatever the verifier's speed: the reaper (where the verifier
 * runs) is paused with SIGSTOP, Redis is SIGKILLed and restarted on its data (no loss), and
 * reserves must answer 503 while the api demonstrably reaches Redis again; SIGCONT, and
 * sales (here: sold out) must come back by themselves.
 */
export async function fenceWithVerifierPaused(res: Resources): Promise<PausedVerifierReport> {
  const { redis, engine, client, drop, reader } = res;
  if (!redis || !engine || !client || !drop || !reader) throw new Error('no scenario ran');
  const reaper = engine.processes.reaper.child;
  const category = (drop.categories[0] as Category).id;
  const answers: Answer[] = [];
  const reserve = async () => {
    const a = await client.reserve(drop.prober, category, 1, `q-${randomUUID()}`, 'probe');
    answers.push(a);
    if (a.status === 201) await client.release(client.record(drop.prober, a));
    return a;
  };

  reaper.kill('SIGSTOP');
  await redis.kill();
  await sleep(300);
  await redis.start();
  const upAt = Date.now();
  let watching = true;
  const probing = (async () => {
    while (watching) {
      await reserve();
      await sleep(50);
    }
  })();
  const reachable = await watchReachability(engine.apiUrl, drop.known, () => false, upAt + 15_000);
  await sleep(reachable === undefined ? 0 : PAUSED_WATCH_MS);
  watching = false;
  await probing;
  const paused = [...answers];

  reaper.kill('SIGCONT');
  const contAt = Date.now();
  let lifted: Answer | undefined;
  while (!lifted && Date.now() < contAt + RESUME_WITHIN_MS) {
    const a = await reserve();
    if (a.status !== 503) lifted = a;
    else await sleep(100);
  }
  // Holds of the probe end (released at once); then Redis and the public read agree.
  let invariants = 'ok';
  let availabilityMatchesRedis = false;
  try {
    const counts = await checkInvariants(reader, drop.eventId, drop.redisKeyPrefix);
    const avail = await http(engine.apiUrl, 'GET', `/v1/events/${drop.eventId}/availability`);
    const listed = (avail.body.categories ?? []) as { id: string; available: number }[];
    availabilityMatchesRedis =
      listed.length === drop.categories.length &&
      listed.every(
        (c) =>
          c.available >= 0 &&
          c.available ===
            (counts[c.id]?.capacity ?? Number.NaN) -
              (counts[c.id]?.held ?? Number.NaN) -
              (counts[c.id]?.confirmed ?? Number.NaN),
      );
  } catch (err) {
    invariants = (err as Error).message;
  }
  return {
    apiReachedRedisAfterMs: reachable === undefined ? null : reachable - upAt,
    answersWhilePaused: tally(paused),
    fencedAfterReachable: paused.filter(
      (a) => reachable !== undefined && a.start >= reachable && a.status === 503,
    ).length,
    unfencedWhilePaused: paused
      .filter((a) => a.status !== 503)
      .slice(0, 5)
      .map(describeAnswer),
    liftedAfterMs: lifted ? lifted.end - contAt : null,
    firstAnswerAfterLift: lifted ? `${lifted.status} ${lifted.code ?? ''}`.trim() : null,
    invariants,
    availabilityMatchesRedis,
  };
}
