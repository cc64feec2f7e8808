import { sql } from 'drizzle-orm';
import { check, index, pgTable, smallint, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { createdAt, id, updatedAt } from './columns.js';
import { events } from './events.js';
import { users } from './users.js';

export const comments = pgTable(
  'comments',
  {
    id: id(),
    eventId: uuid('event_id')
      .notNull()
      .references(() => events.id, { onDelete: 'cascade' }),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    rating: smallint('rating').notNull(),
    /** Stored as given, returned as JSON, never rendered. */
    text: text('text').notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    // One rating per user and event: a second post updates it.
    uniqueIndex('comments_event_user_key').on(t.eventId, t.userId),
    check('comments_rating_check', sql`${t.rating} between 1 and 5`),
    check('comments_text_length_check', sql`char_length(${t.text}) between 1 and 2000`),
    index('comments_event_created_idx').on(t.eventId, t.createdAt, t.id),
  ],
);
