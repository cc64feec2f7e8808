// Comments and ratings: one per user and event (a second post replaces the first). The
// event's rating count and sum change in the same transaction, so the detail read needs
// no aggregate.
import { and, desc, eq, lt, or, sql } from 'drizzle-orm';
import { comments, events } from '../../drizzle/schema/index.js';
import type { Db } from '../../platform/db/client.js';

export type CommentRow = typeof comments.$inferSelect;

/** Creates or replaces the user's comment; `created` tells which. */
export async function upsertComment(
  db: Db,
  input: { eventId: string; userId: string; rating: number; text: string },
): Promise<{ comment: CommentRow; created: boolean }> {
  return db.transaction(async (tx) => {
    const [previous] = await tx
      .select()
      .from(comments)
      .where(and(eq(comments.eventId, input.eventId), eq(comments.userId, input.userId)))
      .for('update');
    const [comment] = await tx
      .insert(comments)
      // In whole milliseconds, like the page cursors that point at it.
      .values({ ...input, createdAt: new Date(), updatedAt: new Date() })
      .onConflictDoUpdate({
        target: [comments.eventId, comments.userId],
        set: { rating: input.rating, text: input.text, updatedAt: new Date() },
      })
      .returning();
    if (!comment) throw new Error('comment upsert returned nothing');
    await tx
      .update(events)
      .set({
        ratingCount: sql`${events.ratingCount} + ${previous ? 0 : 1}`,
        ratingSum: sql`${events.ratingSum} + ${input.rating - (previous?.rating ?? 0)}`,
      })
      .where(eq(events.id, input.eventId));
    return { comment, created: !previous };
  });
}

export async function findComment(db: Db, eventId: string, id: string) {
  const [row] = await db
    .select()
    .from(comments)
    .where(and(eq(comments.id, id), eq(comments.eventId, eventId)));
  return row;
}

export async function deleteComment(db: Db, comment: CommentRow): Promise<void> {
  await db.transaction(async (tx) => {
    const deleted = await tx.delete(comments).where(eq(comments.id, comment.id)).returning();
    if (deleted.length === 0) return;
    await tx
      .update(events)
      .set({
        ratingCount: sql`${events.ratingCount} - 1`,
        ratingSum: sql`${events.ratingSum} - ${comment.rating}`,
      })
      .where(eq(events.id, comment.eventId));
  });
}

/** Newest first, keyset-paged by (createdAt, id). */
export function listComments(
  db: Db,
  eventId: string,
  limit: number,
  after?: { t: string; id: string },
) {
  const t = after ? new Date(after.t) : undefined;
  return db
    .select()
    .from(comments)
    .where(
      and(
        eq(comments.eventId, eventId),
        t && after
          ? or(lt(comments.createdAt, t), and(eq(comments.createdAt, t), lt(comments.id, after.id)))
          : undefined,
      ),
    )
    .orderBy(desc(comments.createdAt), desc(comments.id))
    .limit(limit + 1);
}
