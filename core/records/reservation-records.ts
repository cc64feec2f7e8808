// Reads of the durable reservation record (Postgres), newest first, keyset-paged.
import { and, desc, eq, lt, or, type SQL } from 'drizzle-orm';
import { notifications, reservations } from '../../drizzle/schema/index.js';
import type { Db } from '../../platform/db/client.js';
import type { Hold } from '../reservations/hold.js';

export type ReservationRow = typeof reservations.$inferSelect;
export type NotificationRow = typeof notifications.$inferSelect;

/** A recorded reservation as a hold (what Redis would hold for it). */
export function holdOfRecord(row: ReservationRow): Hold {
  return {
    id: row.id,
    eventId: row.eventId,
    categoryId: row.categoryId,
    userId: row.userId,
    quantity: row.quantity,
    status: row.status,
    expiresAt: row.expiresAt.getTime(),
    createdAt: row.createdAt.getTime(),
    confirmedAt: row.confirmedAt?.getTime(),
    endedAt: row.endedAt?.getTime(),
    seq: row.seq,
    ...(row.seats ? { seats: row.seats } : {}),
  };
}

interface PageArgs {
  limit: number;
  /** strictly after this (createdAt, id) in newest-first order */
  after?: { t: string; id: string };
}

function before(
  createdAt: typeof reservations.createdAt | typeof notifications.createdAt,
  id: typeof reservations.id | typeof notifications.id,
  after?: { t: string; id: string },
): SQL | undefined {
  if (!after) return undefined;
  const t = new Date(after.t);
  return or(lt(createdAt, t), and(eq(createdAt, t), lt(id, after.id)));
}

export function listReservations(
  db: Db,
  filter: { userId?: string; eventId?: string; status?: ReservationRow['status'] },
  { limit, after }: PageArgs,
): Promise<ReservationRow[]> {
  return db
    .select()
    .from(reservations)
    .where(
      and(
        filter.userId ? eq(reservations.userId, filter.userId) : undefined,
        filter.eventId ? eq(reservations.eventId, filter.eventId) : undefined,
        filter.status ? eq(reservations.status, filter.status) : undefined,
        before(reservations.createdAt, reservations.id, after),
      ),
    )
    .orderBy(desc(reservations.createdAt), desc(reservations.id))
    .limit(limit + 1);
}

export async function findReservation(db: Db, id: string): Promise<ReservationRow | undefined> {
  const [row] = await db.select().from(reservations).where(eq(reservations.id, id));
  return row;
}

export function listNotifications(
  db: Db,
  userId: string,
  { limit, after }: PageArgs,
): Promise<NotificationRow[]> {
  return db
    .select()
    .from(notifications)
    .where(
      and(
        eq(notifications.userId, userId),
        before(notifications.createdAt, notifications.id, after),
      ),
    )
    .orderBy(desc(notifications.createdAt), desc(notifications.id))
    .limit(limit + 1);
}
