// The durable record's mark of each event's live history (drizzle/schema/event-marks.ts):
// raised by whoever writes changes to Postgres, read by the verifier after a Redis boot.
import { and, eq, sql as raw } from 'drizzle-orm';
import { eventMarks } from '../../drizzle/schema/index.js';
import type { DbOrTx } from '../../platform/db/client.js';

/** Raises the marks to at least these change numbers (never lowers one). */
export async function raiseMarks(
  db: DbOrTx,
  namespace: string,
  marks: { eventId: string; changeSeq: number }[],
): Promise<void> {
  if (marks.length === 0) return;
  await db
    .insert(eventMarks)
    .values(marks.map((m) => ({ namespace, eventId: m.eventId, changeSeq: m.changeSeq })))
    .onConflictDoUpdate({
      target: [eventMarks.namespace, eventMarks.eventId],
      set: {
        changeSeq: raw`greatest(${eventMarks.changeSeq}, excluded.change_seq)`,
        updatedAt: raw`now()`,
      },
    });
}

/** Drops every engine's mark of a deleted event. */
export async function forgetMarks(db: DbOrTx, eventId: string): Promise<void> {
  await db.delete(eventMarks).where(eq(eventMarks.eventId, eventId));
}

/** The highest change number of the event the record holds, 0 for none. */
export async function durableChangeSeq(
  db: DbOrTx,
  namespace: string,
  eventId: string,
): Promise<number> {
  const [row] = await db
    .select({ changeSeq: eventMarks.changeSeq })
    .from(eventMarks)
    .where(and(eq(eventMarks.namespace, namespace), eq(eventMarks.eventId, eventId)));
  return row?.changeSeq ?? 0;
}

/** Whether the record says this engine's Redis has held the event. */
export async function isMarked(db: DbOrTx, namespace: string, eventId: string): Promise<boolean> {
  const [row] = await db
    .select({ eventId: eventMarks.eventId })
    .from(eventMarks)
    .where(and(eq(eventMarks.namespace, namespace), eq(eventMarks.eventId, eventId)));
  return row !== undefined;
}

/** Every event this engine's Redis has held (the verifier's list after a total loss). */
export async function markedEvents(db: DbOrTx, namespace: string): Promise<string[]> {
  const rows = await db
    .select({ eventId: eventMarks.eventId })
    .from(eventMarks)
    .where(eq(eventMarks.namespace, namespace));
  return rows.map((r) => r.eventId);
}
