// Writes reservation steps to Postgres idempotently, whatever order they arrive in and
// however often: per reservation the highest `seq` decides the status, each timestamp is
// kept once set, and a replayed step changes nothing.
import type { Sql } from '../db/client.js';
import type { ReservationEvent } from '../outbox/messages.js';

type Status = 'held' | 'confirmed' | 'released' | 'expired' | 'cancelled';

interface Row {
  id: string;
  event_id: string;
  category_id: string;
  user_id: string;
  quantity: number;
  status: Status;
  seq: number;
  expires_at: Date;
  created_at: Date;
  confirmed_at: Date | null;
  ended_at: Date | null;
}

// Times go to Postgres as ISO strings: a client shared with drizzle has its Date
// serialisers replaced, and a string reads the same to both.
const isoOrNull = (d: Date | null) => (d ? d.toISOString() : null);

const statusOf = (type: ReservationEvent['type']) => type.slice('reservation.'.length) as Status;

/** Folds a batch's steps into one row per reservation (one upsert may not touch a row twice). */
export function foldSteps(steps: ReservationEvent[]): Row[] {
  const rows = new Map<string, Row>();
  for (const step of steps) {
    const at = new Date(step.at);
    const status = statusOf(step.type);
    const row = rows.get(step.reservationId);
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
        expires_at: new Date(step.expiresAt),
        // Only the first step (held) says when it was made; a later one is a stand-in.
        created_at: at,
        confirmed_at: confirmedAt,
        ended_at: endedAt,
      });
      continue;
    }
    if (step.seq > row.seq) {
      row.status = status;
      row.seq = step.seq;
      row.expires_at = new Date(step.expiresAt);
    }
    if (at < row.created_at) row.created_at = at;
    row.confirmed_at ??= confirmedAt;
    row.ended_at ??= endedAt;
  }
  return [...rows.values()];
}

/** Upserts the steps in one statement; resolves once they are durable. */
export async function persistSteps(sql: Sql, steps: ReservationEvent[]): Promise<number> {
  const rows = foldSteps(steps);
  if (rows.length === 0) return 0;
  const values = rows.map((r) => ({
    ...r,
    expires_at: r.expires_at.toISOString(),
    created_at: r.created_at.toISOString(),
    confirmed_at: isoOrNull(r.confirmed_at),
    ended_at: isoOrNull(r.ended_at),
  }));
  await sql`
    insert into reservations ${sql(
      values,
      'id',
      'event_id',
      'category_id',
      'user_id',
      'quantity',
      'status',
      'seq',
      'expires_at',
      'created_at',
      'confirmed_at',
      'ended_at',
    )}
    on conflict (id) do update set
      status = case when excluded.seq > reservations.seq then excluded.status else reservations.status end,
      expires_at = case when excluded.seq > reservations.seq then excluded.expires_at else reservations.expires_at end,
      seq = greatest(reservations.seq, excluded.seq),
      created_at = least(reservations.created_at, excluded.created_at),
      confirmed_at = coalesce(reservations.confirmed_at, excluded.confirmed_at),
      ended_at = coalesce(reservations.ended_at, excluded.ended_at),
      updated_at = now()
    where excluded.seq > reservations.seq
       or excluded.created_at < reservations.created_at
       or (reservations.confirmed_at is null and excluded.confirmed_at is not null)
       or (reservations.ended_at is null and excluded.ended_at is not null)`;
  return rows.length;
}
