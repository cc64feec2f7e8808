// What a fan is told of their reservation, as the durable record drives it: one
// notification per reservation and kind (confirmed, cancelled, expired), stored in the same
// statement as the step's row (persist.ts), or found missing later by the reconciliation
// and stored then. The worker's delivery loop sends each (worker/notifications.ts).
// Unique per (reservation, kind) in Postgres: whoever writes first wins, the rest add
// nothing, so a fan is never told twice.
import type { Sql } from '../../platform/db/client.js';
import type { ReservationChange } from '../reservations/changes.js';

/** The steps a fan is told of. */
export const NOTIFIED_KINDS = [
  'reservation.confirmed',
  'reservation.cancelled',
  'reservation.expired',
] as const;
type NotifiedKind = (typeof NOTIFIED_KINDS)[number];
const notified = new Set<string>(NOTIFIED_KINDS);

/** A notification as the record stores it. */
export interface Notice {
  user_id: string;
  event_id: string;
  reservation_id: string;
  kind: NotifiedKind;
  payload: {
    reservationId: string;
    eventId: string;
    categoryId: string;
    quantity: number;
    at: string;
  };
}

/** The notices of a batch of steps: one per reservation and kind. */
export function noticesOf(steps: ReservationChange[]): Notice[] {
  const notices = new Map<string, Notice>();
  for (const step of steps) {
    if (!notified.has(step.type)) continue;
    const key = `${step.type}:${step.reservationId}`;
    if (notices.has(key)) continue;
    notices.set(key, {
      user_id: step.userId,
      event_id: step.eventId,
      reservation_id: step.reservationId,
      kind: step.type as NotifiedKind,
      payload: {
        reservationId: step.reservationId,
        eventId: step.eventId,
        categoryId: step.categoryId,
        quantity: step.quantity,
        at: step.at,
      },
    });
  }
  return [...notices.values()];
}

/**
 * The statement that stores notices, due at once, for users that exist (nobody else to
 * tell); one already there for the same reservation and kind is left as it is. A
 * fragment, so it can run in the statement that writes the steps' rows.
 */
export function insertNotices(sql: Sql, notices: Notice[], channel: string, namespace: string) {
  return sql`
    insert into notifications
      (user_id, event_id, reservation_id, kind, dedupe_key, payload, channel, namespace,
       next_attempt_at, created_at)
    -- created_at in whole milliseconds: page cursors carry JavaScript (ms) times.
    select n.user_id, e.id, n.reservation_id, n.kind, n.kind || ':' || n.reservation_id,
      n.payload, ${channel}, ${namespace}, now(), date_trunc('milliseconds', now())
    from json_to_recordset(${JSON.stringify(notices)}::text::json) as n(
      user_id uuid, event_id uuid, reservation_id text, kind text, payload jsonb)
    join users u on u.id = n.user_id
    left join events e on e.id = n.event_id
    on conflict do nothing`;
}

/**
 * The reconciliation: reservations the record holds as confirmed, cancelled or expired
 * whose fan was not told (a record written before notices were, or by hand), within the
 * last `withinHours` of changes. Stores their notices; returns how many it stored, by kind.
 */
export async function notifyMissing(
  sql: Sql,
  channel: string,
  namespace: string,
  withinHours = 24,
): Promise<Record<NotifiedKind, number>> {
  const missing = await sql<Notice[]>`
    select r.user_id, r.event_id, r.id as reservation_id, k.kind,
      json_build_object('reservationId', r.id, 'eventId', r.event_id,
        'categoryId', r.category_id, 'quantity', r.quantity,
        'at', to_char(k.at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')) as payload
    from reservations r
    cross join lateral (values
      ('reservation.confirmed', r.confirmed_at),
      ('reservation.cancelled', case when r.status = 'cancelled' then r.ended_at end),
      ('reservation.expired', case when r.status = 'expired' then r.ended_at end)
    ) as k(kind, at)
    where r.updated_at > now() - ${withinHours} * interval '1 hour'
      and k.at is not null
      and exists (select 1 from users u where u.id = r.user_id)
      and not exists (
        select 1 from notifications n where n.reservation_id = r.id and n.kind = k.kind)
    limit 10000`;
  const counts = Object.fromEntries(NOTIFIED_KINDS.map((kind) => [kind, 0])) as Record<
    NotifiedKind,
    number
  >;
  if (missing.length === 0) return counts;
  // Counted as stored: one another writer stored meanwhile was not missing after all.
  const stored = await sql<{ kind: NotifiedKind }[]>`
    ${insertNotices(sql, missing, channel, namespace)} returning kind`;
  for (const { kind } of stored) counts[kind] += 1;
  return counts;
}
