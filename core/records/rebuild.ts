// Reconciling an event's live state in Redis with the durable record after a Redis data
// loss (SPEC §3, invariant 6). The event is fenced meanwhile (lua/includes/fence.lua):
// nothing sells or changes on a stock that may be stale.
//
// 1. The record is made complete first: the outbox Redis still has is relayed, and the
//    persister catches up with Kafka. From then on Postgres knows every change of the
//    event that any durable place knows (confirmations and cancellations were written
//    there before they were answered).
// 2. If Redis's change number for the event is at least the record's, Redis lost nothing
//    the record knows (what it lost was never relayed: holds of the last moments): the
//    event is verified as it is.
// 3. Otherwise every reservation is merged — per reservation the newest step by `seq`,
//    Redis's or the record's — and put back; held + confirmed never exceed capacity: when
//    a lost release made room for a sale the record knows, the youngest holds that no
//    longer fit end as expired (a sale is never dropped). Then the stock counts and the
//    holders' totals are recomputed from the merged holds, and the event is verified with
//    its change number raised above every number the record holds.
import { eq } from 'drizzle-orm';
import type { Admin } from 'kafkajs';
import { reservations } from '../../drizzle/schema/index.js';
import type { Db } from '../../platform/db/client.js';
import { consumerLag } from '../../platform/kafka-lag.js';
import { findEvent, listCategories } from '../catalog/events.js';
import { eventStateOf } from '../reservations/event-stock.js';
import { type Hold, HoldRefusal } from '../reservations/hold.js';
import type { Holds } from '../reservations/holds.js';
import { durableChangeSeq } from './event-marks.js';
import { seatClaims } from './rebuild-seats.js';
import { holdOfRecord } from './reservation-records.js';

export class RebuildRefused extends Error {
  constructor(
    readonly reason: 'not_found' | 'persister_behind',
    message: string,
  ) {
    super(message);
    this.name = 'RebuildRefused';
  }
}

export interface RebuildDeps {
  db: Db;
  holds: Holds;
  kafkaAdmin: Admin;
  topic: string;
  persisterGroup: string;
  defaultHoldTtlSeconds: number;
  /** REDIS_KEY_PREFIX: whose marks in the record are this Redis's */
  namespace: string;
}

/** True once the persister group has committed every offset the topic holds now. */
export async function persisterCaughtUp(
  admin: Admin,
  topic: string,
  groupId: string,
): Promise<boolean> {
  return (await consumerLag(admin, topic, groupId)) === 0;
}

/** Waits until the event's outbox is relayed and the persister has written all of Kafka. */
async function recordComplete(deps: RebuildDeps, eventId: string, waitMs: number) {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const relayed = (await deps.holds.outboxLength(eventId)) === 0;
    if (relayed && (await persisterCaughtUp(deps.kafkaAdmin, deps.topic, deps.persisterGroup)))
      return;
    if (Date.now() > deadline) {
      throw new RebuildRefused(
        'persister_behind',
        'The outbox or the persister has not caught up; sales stay held, try again',
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

const LIVE = new Set(['held', 'confirming']);

export interface RebuildResult {
  eventId: string;
  /** `verified`: Redis had everything the record knows; `reconciled`: it was merged. */
  outcome: 'verified' | 'reconciled';
  restoredHolds: number;
  /** holds that no longer fit in the capacity and ended as expired */
  evictedHolds: number;
  /** false when Redis booted again while this ran: the event stays fenced */
  marked: boolean;
}

/**
 * An operator's rebuild (the admin route, `npm run rebuild`): the event is fenced now,
 * checked and reconciled like after a Redis restart, and sells again when done.
 */
export async function rebuildNow(
  deps: RebuildDeps,
  eventId: string,
  options: { waitMs?: number } = {},
) {
  const { at } = await deps.holds.fence(eventId);
  await deps.holds.unverify(eventId);
  const result = await rebuildEvent(deps, eventId, at, options);
  return { ...result, categories: await deps.holds.stock(eventId) };
}

/**
 * Checks the event against the durable record and reconciles it when Redis lost what the
 * record knows; then marks it verified for the Redis boot `at` (read before calling).
 */
export async function rebuildEvent(
  deps: RebuildDeps,
  eventId: string,
  at: { boot: string; runId: string },
  options: { waitMs?: number } = {},
): Promise<RebuildResult> {
  const { db, holds } = deps;
  const event = await findEvent(db, eventId);
  if (!event) throw new RebuildRefused('not_found', 'No such event');
  const before = await holds.fence(eventId);
  // The catalog is Postgres's: the event's state and categories are written again (a
  // new hash is fenced until marked; a capacity below stale counts waits for the counts).
  await holds.setEventState(eventId, eventStateOf(event, deps.defaultHoldTtlSeconds));
  const categories = await listCategories(db, eventId);
  const seedCategories = async () => {
    for (const category of categories) {
      await holds.setCategory(eventId, category).catch((err) => {
        if (!(err instanceof HoldRefusal)) throw err;
      });
    }
  };
  await seedCategories();

  await recordComplete(deps, eventId, options.waitMs ?? 60_000);
  const recorded = await durableChangeSeq(db, deps.namespace, eventId);
  if (before.exists && before.changeSeq >= recorded) {
    const marked = await holds.markVerified(eventId, recorded, at);
    return { eventId, outcome: 'verified', restoredHolds: 0, evictedHolds: 0, marked };
  }

  const rows = await db.select().from(reservations).where(eq(reservations.eventId, eventId));
  const inRedis = await holds.findMany(
    eventId,
    rows.map((r) => r.id),
  );
  const merged = rows.map((row, i) => {
    const live = inRedis[i];
    const newest = live && live.seq > row.seq ? live : holdOfRecord(row);
    return { hold: newest, redisSeq: live?.seq ?? 0 };
  });

  // Sales first, then live holds oldest first, each while it fits in its category (and,
  // seated, while none of its seats is another's: rebuild-seats.ts).
  const capacity = new Map(categories.map((c) => [c.id, c.capacity - c.blockedSeats.length]));
  const used = new Map<string, number>();
  const seats = seatClaims(categories);
  const take = (h: Hold) => {
    used.set(h.categoryId, (used.get(h.categoryId) ?? 0) + h.quantity);
    seats.take(h);
  };
  for (const { hold } of merged) if (hold.status === 'confirmed') take(hold);
  const live = merged
    .filter(({ hold }) => LIVE.has(hold.status))
    .sort((a, b) => a.hold.createdAt - b.hold.createdAt);
  const evicted = new Set<string>();
  for (const { hold } of live) {
    const fits =
      (used.get(hold.categoryId) ?? 0) + hold.quantity <= (capacity.get(hold.categoryId) ?? 0) &&
      seats.fits(hold);
    if (fits) take(hold);
    else evicted.add(hold.id);
  }

  let restored = 0;
  for (const { hold, redisSeq } of merged) {
    const evict = evicted.has(hold.id);
    if (!evict && redisSeq >= hold.seq) continue;
    if (await holds.restore(hold, { evict, seatPositions: seats.positions(hold) })) restored += 1;
  }

  // The counts, from the merged holds that stand.
  const perCategory = new Map<string, { held: number; confirmed: number }>();
  const perUser = new Map<string, { total: number; byCategory: Map<string, number> }>();
  for (const c of categories) perCategory.set(c.id, { held: 0, confirmed: 0 });
  for (const { hold } of merged) {
    const user = perUser.get(hold.userId) ?? { total: 0, byCategory: new Map() };
    perUser.set(hold.userId, user);
    if (!user.byCategory.has(hold.categoryId)) user.byCategory.set(hold.categoryId, 0);
    const counts = perCategory.get(hold.categoryId);
    const stands = hold.status === 'confirmed' || (LIVE.has(hold.status) && !evicted.has(hold.id));
    if (!counts || !stands) continue;
    if (hold.status === 'confirmed') counts.confirmed += hold.quantity;
    else counts.held += hold.quantity;
    user.total += hold.quantity;
    user.byCategory.set(
      hold.categoryId,
      (user.byCategory.get(hold.categoryId) ?? 0) + hold.quantity,
    );
  }
  for (const [categoryId, counts] of perCategory) {
    const holders = [...perUser]
      .filter(([, u]) => u.byCategory.has(categoryId))
      .map(([userId, u]) => ({
        userId,
        total: u.total,
        inCategory: u.byCategory.get(categoryId) ?? 0,
      }));
    await holds.setCounts(eventId, categoryId, counts, holders);
  }
  for (const { categoryId, ...state } of seats.states())
    await holds.setSeatState(eventId, categoryId, state);
  await seedCategories();
  const marked = await holds.markVerified(eventId, Math.max(recorded, before.changeSeq), at);
  return {
    eventId,
    outcome: 'reconciled',
    restoredHolds: restored,
    evictedHolds: evicted.size,
    marked,
  };
}
