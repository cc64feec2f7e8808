import { bigint, pgTable, primaryKey, text, uuid } from 'drizzle-orm/pg-core';
import { updatedAt } from './columns.js';

/**
 * How far the durable record reaches into each event's live history in one engine's
 * Redis: the highest change number (`eventSeq`, numbered by the hold scripts) it holds.
 * The persister raises it for every change it writes, the api for every confirmation and
 * cancellation it writes before answering; creating an event enters it at 0, deleting it
 * drops its marks. A Redis that comes back from a crash with a lower number for an event
 * has lost changes the record knows of: the verifier (reaper/verifier.ts) reconciles the
 * event before it sells again. `namespace` is the engine's REDIS_KEY_PREFIX (engines sharing one Postgres).
 */
export const eventMarks = pgTable(
  'event_marks',
  {
    namespace: text('namespace').notNull(),
    eventId: uuid('event_id').notNull(),
    changeSeq: bigint('change_seq', { mode: 'number' }).notNull(),
    updatedAt: updatedAt(),
  },
  (t) => [primaryKey({ columns: [t.namespace, t.eventId] })],
);
