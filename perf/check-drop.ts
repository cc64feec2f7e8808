// After a load run: the oversell invariant through the API, and every SPEC §3 check against
// Redis. Reads the run's summary (k6 handleSummary): eventId, categoryId, capacity, the
// seats the run saw held (201s) and confirmed (200s) — or `drops`, a list of those, for a
// run over several events (perf:scale). Redis is REDIS_CLUSTER_NODES when set.
//
//   node --import tsx perf/check-drop.ts .stack/drop-surge-summary.json [--settle TTL]
//
// Always: the API's `available` is ≥ 0 and equals capacity − held − confirmed in Redis; the
// Redis counters agree with the holds they summarise; nothing is oversold; every 200 the
// run saw for a confirmation is a confirmed seat. A seated category (SPEC §8): no seat in
// two holds, each hold's seats marked as its status says (the Redis check), and the seat
// status the API shows counts the same held, sold and available seats.
// Without --settle (no hold ended during the run): the seats held + confirmed in Redis are
// exactly the run's 201s.
// With --settle TTL (holds were released or expired): waits up to TTL + 5 s for the reaper
// to expire every hold left, then the API must show capacity − confirmed: no seat lost.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { seatCounts } from '../core/catalog/seat-map.js';
import { type CategoryCounts, checkInvariants } from '../core/reservations/invariants.js';
import { eventKeys } from '../core/reservations/keys.js';
import { loadConfigOrExit } from '../platform/config.js';
import { createLogger } from '../platform/logger.js';
import { createRedis, redisReady } from '../platform/redis.js';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { settle: { type: 'string' } },
});
interface DropSummary {
  eventId: string;
  categoryId: string;
  capacity: number;
  seatsHeld: number;
  seatsConfirmed: number;
}
const run = JSON.parse(readFileSync(positionals[0] ?? '', 'utf8')) as DropSummary & {
  drops?: DropSummary[];
};
const config = loadConfigOrExit();
const base = process.env.BASE ?? `http://127.0.0.1:${config.PORT}`;
const redis = createRedis(config, createLogger({ ...config, LOG_LEVEL: 'warn' }, 'check'));
await redisReady(redis, 10_000);
const problems: string[] = [];

/** The category as the API shows it and as Redis counts it, with every invariant checked. */
/** The admin's token, for a run's event that is still a draft (the bot farm's pre-queue). */
let admin: Promise<string> | undefined;
const adminToken = () => {
  admin ??= fetch(`${base}/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: config.ADMIN_EMAIL, password: config.ADMIN_PASSWORD }),
  }).then(async (res) => ((await res.json()) as { accessToken: string }).accessToken);
  return admin;
};

/** Availability as anyone sees it, or as the admin does for a draft (hidden from others). */
async function availabilityOf(eventId: string): Promise<Response> {
  const url = `${base}/v1/events/${eventId}/availability`;
  const res = await fetch(url);
  if (res.status !== 404) return res;
  return fetch(url, { headers: { authorization: `Bearer ${await adminToken()}` } });
}

async function look(summary: DropSummary): Promise<{ available: number; counts: CategoryCounts }> {
  const res = await availabilityOf(summary.eventId);
  const available = (
    (await res.json()) as { categories: { id: string; available: number }[] }
  ).categories.find((c) => c.id === summary.categoryId)?.available;
  if (available === undefined) throw new Error('the drop has no such category');
  const counts = (await checkInvariants(redis, summary.eventId, config.REDIS_KEY_PREFIX))[
    summary.categoryId
  ];
  if (!counts) throw new Error('the drop has no such category');
  return { available, counts };
}

/** A seated category's seats by status as the API shows them; none for one sold by count. */
async function seatsShown(summary: DropSummary) {
  const res = await fetch(
    `${base}/v1/events/${summary.eventId}/categories/${summary.categoryId}/seats`,
  );
  if (res.status === 404) return undefined;
  if (!res.ok) throw new Error(`the seat status answered ${res.status}`);
  const doc = (await res.json()) as { sections: { rows: { status: string }[] }[] };
  return seatCounts(doc.sections.flatMap((s) => s.rows.map((r) => r.status)).join(''));
}

async function checkDrop(summary: DropSummary): Promise<void> {
  if (values.settle !== undefined) {
    // Until the reaper is done only the stock is watched: the full check reads holds and
    // counters one after the other, so it is only exact once nothing moves.
    const deadline = Date.now() + (Number(values.settle) + 5) * 1000;
    const category = eventKeys(summary.eventId, config.REDIS_KEY_PREFIX).category(
      summary.categoryId,
    );
    while (Number(await redis.hget(category, 'held')) > 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 250));
  }
  const { available, counts } = await look(summary);
  if (values.settle !== undefined) {
    if (counts.held > 0)
      problems.push(`${counts.held} seats still held ${values.settle} s + 5 s on`);
    if (available !== summary.capacity - counts.confirmed)
      problems.push(`the API shows ${available} available, not capacity − confirmed`);
  } else if (counts.held + counts.confirmed !== summary.seatsHeld) {
    problems.push(
      `Redis has ${counts.held + counts.confirmed} seats held or confirmed, the run saw ${summary.seatsHeld} 201s`,
    );
  }
  if (available < 0) problems.push(`the API shows ${available} available`);
  if (available !== counts.available)
    problems.push(`the API shows ${available} available, Redis ${counts.available}`);
  if (counts.held + counts.confirmed > summary.capacity)
    problems.push(`oversold: ${counts.held + counts.confirmed} of ${summary.capacity}`);
  if (counts.confirmed !== summary.seatsConfirmed)
    problems.push(`${counts.confirmed} confirmed in Redis, the run saw ${summary.seatsConfirmed}`);
  const shown = await seatsShown(summary);
  if (
    shown &&
    (shown.held !== counts.held ||
      shown.sold !== counts.confirmed ||
      shown.available !== available ||
      shown.available + shown.held + shown.sold !== counts.capacity)
  )
    problems.push(
      `the seat status shows ${shown.available} available, ${shown.held} held, ${shown.sold} sold, ${shown.blocked} blocked; Redis counts ${counts.held} held, ${counts.confirmed} confirmed of ${counts.capacity}, the API ${available} available`,
    );
  console.log(
    `[check] capacity ${summary.capacity}: ${counts.held} held + ${counts.confirmed} confirmed in Redis, ${available} available through the API${shown ? ` (its seat status: ${shown.held} held, ${shown.sold} sold, ${shown.available} available)` : ''}; the run saw ${summary.seatsHeld} seats held (201s) and ${summary.seatsConfirmed} confirmed`,
  );
}

try {
  for (const drop of run.drops ?? [run]) await checkDrop(drop);
} catch (err) {
  problems.push((err as Error).message);
} finally {
  redis.disconnect();
}
for (const p of problems) console.error(`[check] FAIL: ${p}`);
if (problems.length === 0) console.log('[check] no oversell, no lost seat; the invariants hold');
process.exit(problems.length ? 1 : 0);
