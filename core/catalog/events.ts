// Events and their ticket categories in Postgres: the catalog's durable record.
import { asc, eq } from 'drizzle-orm';
import { events, reservations, ticketCategories } from '../../drizzle/schema/index.js';
import type { DbOrTx } from '../../platform/db/client.js';

export type EventRow = typeof events.$inferSelect;
export type NewEvent = typeof events.$inferInsert;

export type CategoryRow = typeof ticketCategories.$inferSelect;
export type NewCategory = typeof ticketCategories.$inferInsert;

export async function findEvent(db: DbOrTx, id: string, opts: { lock?: boolean } = {}) {
  const query = db.select().from(events).where(eq(events.id, id));
  const [row] = opts.lock ? await query.for('update') : await query;
  return row;
}

export async function insertEvent(db: DbOrTx, values: NewEvent): Promise<EventRow> {
  const [row] = await db.insert(events).values(values).returning();
  if (!row) throw new Error('insert into events returned nothing');
  return row;
}

export async function updateEvent(
  db: DbOrTx,
  id: string,
  patch: Partial<NewEvent>,
): Promise<EventRow> {
  const [row] = await db
    .update(events)
    .set({ ...patch, updatedAt: new Date() })
    .where(eq(events.id, id))
    .returning();
  if (!row) throw new Error(`event ${id} vanished during its update`);
  return row;
}

export function listCategories(db: DbOrTx, eventId: string): Promise<CategoryRow[]> {
  return db
    .select()
    .from(ticketCategories)
    .where(eq(ticketCategories.eventId, eventId))
    .orderBy(asc(ticketCategories.name), asc(ticketCategories.id));
}

export async function findCategory(
  db: DbOrTx,
  eventId: string,
  id: string,
  opts: { lock?: boolean } = {},
) {
  const query = db.select().from(ticketCategories).where(eq(ticketCategories.id, id));
  const [row] = opts.lock ? await query.for('update') : await query;
  return row?.eventId === eventId ? row : undefined;
}

export async function insertCategory(db: DbOrTx, values: NewCategory): Promise<CategoryRow> {
  const [row] = await db.insert(ticketCategories).values(values).returning();
  if (!row) throw new Error('insert into ticket_categories returned nothing');
  return row;
}

export async function updateCategory(
  db: DbOrTx,
  id: string,
  patch: Partial<NewCategory>,
): Promise<CategoryRow> {
  const [row] = await db
    .update(ticketCategories)
    .set({ ...patch, updatedAt: new Date() })
    .where(eq(ticketCategories.id, id))
    .returning();
  if (!row) throw new Error(`category ${id} vanished during its update`);
  return row;
}

export async function hasReservations(db: DbOrTx, eventId: string): Promise<boolean> {
  const [row] = await db
    .select({ id: reservations.id })
    .from(reservations)
    .where(eq(reservations.eventId, eventId))
    .limit(1);
  return row !== undefined;
}

/** Deletes the event with its categories and comments (cascade). */
export async function deleteEventRow(db: DbOrTx, eventId: string): Promise<void> {
  await db.delete(events).where(eq(events.id, eventId));
}
