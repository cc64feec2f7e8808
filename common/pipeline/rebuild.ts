// Rebuilding an event's live stock in Redis from Postgres after a Redis data loss
// (SPEC §3, invariant 6). Sales stay refused while it runs: the event is `rebuilding`
// in Redis until the stock is capacity − confirmed − still-valid holds again.
//
// 1. refuse if Redis still has the event's stock (nothing was lost; a rebuild would count
//    twice) unless forced;
// 2. hold sales, and wait until the persister has written everything Kafka has, so the
//    record is complete;
// 3. seed each category's capacity, put every held and confirmed reservation back as a
//    hold (counted into its category and user), remember where each hold lives;
// 4. restore the event's status: sales resume. Holds already past their time are expired
//    by the reaper right after, with their outbox entries, like any other.

import { and, eq, inArray } from 'drizzle-orm';
import type { Admin } from 'kafkajs';
import { reservations } from '../../drizzle/schema/index.js';
import { findEvent, listCategories } from '../catalog/events.js';
import type { Db } from '../db/client.js';
import type { Holds } from '../reservations/holds.js';
import { consumerLag } from './lag.js';

export class RebuildRefused extends Error {
  constructor(
    readonly reason: 'not_found' | 'stock_present' | 'persister_behind',
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
}

/** True once the persister group has committed every offset the topic holds now. */
export async function persisterCaughtUp(
  admin: Admin,
  topic: string,
  groupId: string,
): Promise<boolean> {
  return (await consumerLag(admin, topic, groupId)) === 0;
}

export async function rebuildEvent(
  deps: RebuildDeps,
  eventId: string,
  options: { force?: boolean; waitMs?: number } = {},
) {
  const { db, holds } = deps;
  const event = await findEvent(db, eventId);
  if (!event) throw new RebuildRefused('not_found', 'No such event');
  if (!options.force && (await holds.hasStock(eventId))) {
    throw new RebuildRefused(
      'stock_present',
      'Redis still has this event’s stock; nothing to rebuild',
    );
  }
  const rules = {
    holdTtlSeconds: event.holdTtlSeconds ?? deps.defaultHoldTtlSeconds,
    perUserLimit: event.perUserLimit,
  };
  await holds.setEventState(eventId, { status: 'rebuilding', ...rules });

  const deadline = Date.now() + (options.waitMs ?? 60_000);
  while (!(await persisterCaughtUp(deps.kafkaAdmin, deps.topic, deps.persisterGroup))) {
    if (Date.now() > deadline) {
      throw new RebuildRefused(
        'persister_behind',
        'The persister has not caught up with Kafka; sales stay held, try again',
      );
    }
    await new Promise((r) => setTimeout(r, 200));
  }

  const categories = await listCategories(db, eventId);
  for (const category of categories) await holds.setCategory(eventId, category);
  const live = await db
    .select()
    .from(reservations)
    .where(
      and(eq(reservations.eventId, eventId), inArray(reservations.status, ['held', 'confirmed'])),
    );
  let restored = 0;
  for (const r of live) {
    const put = await holds.restore({
      id: r.id,
      eventId,
      categoryId: r.categoryId,
      userId: r.userId,
      quantity: r.quantity,
      status: r.status as 'held' | 'confirmed',
      expiresAt: r.expiresAt.getTime(),
      createdAt: r.createdAt.getTime(),
      confirmedAt: r.confirmedAt?.getTime(),
      seq: r.seq,
    });
    if (put) restored += 1;
  }
  await holds.setEventState(eventId, { status: event.status, ...rules });
  return { eventId, restoredHolds: restored, categories: await holds.stock(eventId) };
}
