// Writes reservation steps to Postgres idempotently, whatever order they arrive in and
// however often: per reservation the highest `seq` decides the status, each timestamp is
// kept once set, and a replayed step changes nothing. A step the fan is told of
// (notices.ts) gets its notification in the same statement: the record, not the Redis
// outbox, drives what a paid fan hears (docs/DURABILITY.md).
import type { Sql } from '../../platform/db/client.js';
import type { ReservationChange } from '../reservations/changes.js';
import { insertNotices, noticesOf } from './notices.js';

type Status = 'held' | 'confirmed' | 'released' | 'expired' | 'cancelled';

/** One reservation's row as a batch's steps leave it (times as the steps' ISO strings). */
interface Row {
  id: string;
  event_id: string;
  category_id: string;
  user_id: string;
  quantity: number;
  status: Status;
  seq: number;
  expires_at: string;
  created_at: string;
  confirmed_at: string | null;
  ended_at: string | null;
  /** a seated reservation's seat ids, comma-separated (SPEC §8; ids hold no comma) */
  seats: string | null;
}

const statusOf = (type: ReservationChange['type']) => type.slice('reservation.'.length) as Status;

/**
 * A message's time to the millisecond, as Date#toISOString writes it (what the relay
 * sends: kept as it is). Page cursors carry milliseconds, so no row may hold finer times.
 */
const toMs = (iso: string) => (iso.length === 24 ? iso : new Date(iso).toISOString());

/** Folds a batch's steps into one row per reservation (one upsert may not touch a row twice). */
export function foldSteps(steps: ReservationChange[]): Row[] {
  const rows = new Map<string, Row & { createdMs: number }>();
  for (const step of steps) {
    const status = statusOf(step.type);
    const row = rows.get(step.reservationId);
    const at = toMs(step.at);
    const confirmedAt = status === 'confirmed' ? at : null;
    const endedAt =
      status === 'released' || status === 'expired' || status === 'cancelled' ? at : null;
    if (!row) {
      rows.set(step.reservationId, {
        id: step.reservationId,
        event_id: step.eventId,
        category_id: step.categoryId,
        user_id: step.userId,
        quantity: step.quantity,
        status,
        seq: step.seq,
        expires_at: toMs(step.expiresAt),
        // Only the first step (held) says when it was made; a later one is a stand-in.
        created_at: at,
        createdMs: Date.parse(at),
        confirmed_at: confirmedAt,
        ended_at: endedAt,
        seats: step.seats ? step.seats.join(',') : null,
      });
      continue;
    }
    if (step.seq > row.seq) {
      row.status = status;
      row.seq = step.seq;
      row.expires_at = toMs(step.expiresAt);
    }
    const atMs = Date.parse(at);
    if (atMs < row.createdMs) {
      row.created_at = at;
      row.createdMs = atMs;
    }
    row.confirmed_at ??= confirmedAt;
    row.ended_at ??= endedAt;
    if (step.seats) row.seats ??= step.seats.join(',');
  }
  return [...rows.values()].map(({ createdMs: _, ...row }) => row);
}

/** The highest event change number among the steps, per event (event-marks.ts). */
function marksOf(steps: ReservationChange[]) {
  const marks = new Map<string, number>();
  for (const { eventId, eventSeq } of steps)
    if (eventSeq !== undefined && eventSeq > (marks.get(eventId) ?? 0))
      marks.set(eventId, eventSeq);
  return [...marks].map(([event_id, change_seq]) => ({ event_id, change_seq }));
}

export interface PersistOptions {
  /** the engine's REDIS_KEY_PREFIX: the events' marks are raised with the rows */
  namespace?: string;
  /** the notification channel (NOTIFY_CHANNEL): the steps a fan is told of get theirs */
  notifyChannel?: string;
}

/**
 * Upserts the steps in one statement; resolves once they are durable. The rows travel as
 * one JSON parameter that Postgres unpacks (json_to_recordset): eleven bind parameters
 * per row cost the client more to encode than the rows' JSON, and the same statement
 * works on a client whose serialisers drizzle replaced. With a `namespace`, the same
 * statement raises the events' marks to the steps' change numbers, so a row is never in
 * the record without its mark; with a `notifyChannel`, it stores the notification of each
 * step a fan is told of, so a confirmed row is never in the record without its notice.
 */
export async function persistSteps(
  sql: Sql,
  steps: ReservationChange[],
  { namespace, notifyChannel }: PersistOptions = {},
): Promise<number> {
  const rows = foldSteps(steps);
  if (rows.length === 0) return 0;
  const marks = namespace === undefined ? [] : marksOf(steps);
  const notices = notifyChannel === undefined ? [] : noticesOf(steps);
  const upsert = sql`
    insert into reservations as r
      (id, event_id, category_id, user_id, quantity, status, seq, expires_at, created_at,
       confirmed_at, ended_at, seats)
    select id, event_id, category_id, user_id, quantity, status, seq, expires_at, created_at,
      confirmed_at, ended_at, string_to_array(seats, ',')
    from json_to_recordset(${JSON.stringify(rows)}::text::json) as s(
      id text, event_id uuid, category_id uuid, user_id uuid, quantity int, status text,
      seq int, expires_at timestamptz, created_at timestamptz, confirmed_at timestamptz,
      ended_at timestamptz, seats text)
    on conflict (id) do update set
      status = case when excluded.seq > r.seq then excluded.status else r.status end,
      expires_at = case when excluded.seq > r.seq then excluded.expires_at else r.expires_at end,
      seq = greatest(r.seq, excluded.seq),
      created_at = least(r.created_at, excluded.created_at),
      confirmed_at = coalesce(r.confirmed_at, excluded.confirmed_at),
      ended_at = coalesce(r.ended_at, excluded.ended_at),
      seats = coalesce(r.seats, excluded.seats),
      updated_at = now()
    where excluded.seq > r.seq
       or excluded.created_at < r.created_at
       or (r.confirmed_at is null and excluded.confirmed_at is not null)
       or (r.ended_at is null and excluded.ended_at is not null)
       or (r.seats is null and excluded.seats is not null)`;
  if (marks.length === 0 && notices.length === 0) {
    await upsert;
    return rows.length;
  }
  // Data-modifying WITH clauses run to completion whether or not the query reads them.
  const notified =
    notices.length === 0
      ? sql``
      : sql`, notified as (${insertNotices(sql, notices, notifyChannel as string, namespace ?? '')} returning 1)`;
  const last =
    marks.length === 0
      ? sql`select 1`
      : sql`
    insert into event_marks as m (namespace, event_id, change_seq)
    select ${namespace as string}, event_id, change_seq
    from json_to_recordset(${JSON.stringify(marks)}::text::json) as s(event_id uuid, change_seq bigint)
    on conflict (namespace, event_id) do update set
      change_seq = excluded.change_seq,
      updated_at = now()
    where excluded.change_seq > m.change_seq`;
  await sql`with upserted as (${upsert} returning 1)${notified} ${last}`;
  return rows.length;
}
