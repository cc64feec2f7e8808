import { sql } from 'drizzle-orm';
import { customType, index, pgTable, primaryKey, uuid } from 'drizzle-orm/pg-core';
import { at } from './columns.js';
import { events } from './events.js';

const bytea = customType<{ data: Buffer; driverData: Buffer }>({ dataType: () => 'bytea' });

/**
 * Presale access codes (SPEC §9), one row per code issued: only the code's SHA-256 (over
 * the event id and the code) is kept, never the code. A code binds to the first account
 * that uses it (`user_id`, once, never changed); the counts an admin reads are `count(*)`
 * and `count(user_id)` of the event's rows.
 */
export const accessCodes = pgTable(
  'access_codes',
  {
    eventId: uuid('event_id')
      .notNull()
      .references(() => events.id, { onDelete: 'cascade' }),
    codeHash: bytea('code_hash').notNull(),
    /** the account the code is bound to; null until first used (no FK: as reservations) */
    userId: uuid('user_id'),
    issuedAt: at('issued_at').notNull().defaultNow(),
    usedAt: at('used_at'),
  },
  (t) => [
    primaryKey({ columns: [t.eventId, t.codeHash] }),
    // The admin's `used` count reads the bound rows of one event.
    index('access_codes_event_used_idx').on(t.eventId).where(sql`${t.userId} is not null`),
  ],
);
