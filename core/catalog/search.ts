// Event search for GET /v1/events: a case-insensitive name match backed by the trigram
// index, status and startsAt bounds, keyset-paged in (startsAt, id) order so a page
// never repeats or skips an event while others are added.
import { and, asc, eq, gt, gte, lt, lte, ne, or, type SQL, sql } from 'drizzle-orm';
import { type EventStatus, events } from '../../drizzle/schema/index.js';
import type { DbOrTx } from '../../platform/db/client.js';
import type { EventRow } from './events.js';

export interface EventSearch {
  q?: string;
  status?: EventStatus;
  from?: Date;
  to?: Date;
  /** Admins see drafts; everyone else never does. */
  includeDrafts: boolean;
  limit: number;
  /** strictly after this (startsAt, id) */
  after?: { t: string; id: string };
}

/**
 * Events start in these years (the API refuses any other); a row outside them, from before
 * that rule, is left out rather than read: JavaScript cannot parse every year Postgres keeps.
 */
const SHOWN_FROM = new Date('2000-01-01T00:00:00Z');
const SHOWN_BEFORE = new Date('2201-01-01T00:00:00Z');

/** `q` as a LIKE pattern: its own % and _ are matched literally. */
const containsPattern = (q: string) => `%${q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

export function searchEvents(db: DbOrTx, s: EventSearch): Promise<EventRow[]> {
  const conditions: (SQL | undefined)[] = [
    s.q ? sql`lower(${events.name}) like ${containsPattern(s.q)}` : undefined,
    s.status ? eq(events.status, s.status) : undefined,
    s.includeDrafts ? undefined : ne(events.status, 'draft'),
    s.from ? gte(events.startsAt, s.from) : undefined,
    s.to ? lte(events.startsAt, s.to) : undefined,
    gte(events.startsAt, SHOWN_FROM),
    lt(events.startsAt, SHOWN_BEFORE),
  ];
  if (s.after) {
    const t = new Date(s.after.t);
    conditions.push(
      or(gt(events.startsAt, t), and(eq(events.startsAt, t), gt(events.id, s.after.id))),
    );
  }
  return db
    .select()
    .from(events)
    .where(and(...conditions))
    .orderBy(asc(events.startsAt), asc(events.id))
    .limit(s.limit + 1);
}
