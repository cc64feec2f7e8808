// User notifications: one row per user-visible change (deduplicated by the change's
// identity, so a redelivered message adds nothing), delivered by a loop that retries with
// exponential backoff and dead-letters after NOTIFY_MAX_ATTEMPTS.
import { createHmac } from 'node:crypto';
import type { Sql } from '../db/client.js';
import type { Logger } from '../logger.js';

export interface NewNotification {
  userId: string;
  eventId: string | null;
  reservationId: string | null;
  /** e.g. reservation.confirmed, event.rescheduled */
  kind: string;
  /** The change's identity: one notification per change. */
  dedupeKey: string;
  payload: Record<string, unknown>;
}

/**
 * Stores notifications for users that exist (others are skipped: nobody to tell).
 * Returns how many were new.
 */
export async function storeNotifications(
  sql: Sql,
  channel: string,
  items: NewNotification[],
): Promise<number> {
  if (items.length === 0) return 0;
  const rows = items.map((n) => ({
    user_id: n.userId,
    event_id: n.eventId,
    reservation_id: n.reservationId,
    kind: n.kind,
    dedupe_key: n.dedupeKey,
    payload: n.payload,
    channel,
  }));
  const inserted = await sql`
    insert into notifications (user_id, event_id, reservation_id, kind, dedupe_key, payload, channel, next_attempt_at, created_at)
    -- created_at in whole milliseconds: page cursors carry JavaScript (ms) times.
    select n.user_id, e.id, n.reservation_id, n.kind, n.dedupe_key, n.payload, n.channel, now(),
      date_trunc('milliseconds', now())
    -- Sent as text and cast here: the same statement then works on a client whose json
    -- serialiser drizzle replaced and on a plain one.
    from json_to_recordset(${JSON.stringify(rows)}::text::json) as n(
      user_id uuid, event_id uuid, reservation_id uuid, kind text, dedupe_key text, payload jsonb, channel text)
    join users u on u.id = n.user_id
    left join events e on e.id = n.event_id
    on conflict (dedupe_key) do nothing
    returning id`;
  return inserted.length;
}

export interface Delivery {
  id: string;
  userId: string;
  kind: string;
  payload: Record<string, unknown>;
  attempts: number;
  createdAt: Date;
}

/** A delivery channel: resolves when delivered, throws to retry later. */
export type Channel = (n: Delivery) => Promise<void>;

export const logChannel =
  (logger: Logger): Channel =>
  async (n) => {
    logger.info(
      { notificationId: n.id, userId: n.userId, kind: n.kind, payload: n.payload },
      'notification',
    );
  };

/** The signature header a receiver checks: HMAC-SHA256 over `${timestamp}.${body}`. */
export function signWebhook(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

export const webhookChannel =
  (url: string, secret: string, timeoutMs = 5000): Channel =>
  async (n) => {
    const body = JSON.stringify({
      id: n.id,
      userId: n.userId,
      kind: n.kind,
      payload: n.payload,
      createdAt: n.createdAt.toISOString(),
    });
    const timestamp = String(Math.floor(Date.now() / 1000));
    const res = await fetch(url, {
      method: 'POST',
      body,
      headers: {
        'Content-Type': 'application/json',
        'X-Drop-Timestamp': timestamp,
        'X-Drop-Signature': signWebhook(secret, timestamp, body),
        'X-Drop-Delivery': n.id,
      },
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (!res.ok) throw new Error(`webhook answered ${res.status}`);
  };

export interface DeliveryOptions {
  /** Only notifications stored for this channel are delivered here (log, webhook). */
  channelName: string;
  maxAttempts: number;
  retryBaseMs: number;
  batchSize?: number;
  /** How long a claimed notification is reserved for one deliverer. */
  claimMs?: number;
}

/**
 * Delivers the notifications that are due. Claiming moves next_attempt_at forward under
 * SKIP LOCKED, so several workers never deliver the same one at the same time.
 */
export async function deliverDue(
  sql: Sql,
  channel: Channel,
  options: DeliveryOptions,
): Promise<number> {
  const { channelName, maxAttempts, retryBaseMs, batchSize = 50, claimMs = 30_000 } = options;
  const claimed = await sql<
    {
      id: string;
      user_id: string;
      kind: string;
      payload: Record<string, unknown>;
      attempts: number;
      created_at: Date;
    }[]
  >`
    update notifications set next_attempt_at = now() + ${claimMs} * interval '1 millisecond'
    where id in (
      select id from notifications
      where status in ('pending', 'failed') and next_attempt_at <= now() and channel = ${channelName}
      order by next_attempt_at
      limit ${batchSize}
      for update skip locked)
    returning id, user_id, kind, payload, attempts, created_at`;
  await Promise.all(
    claimed.map(async (row) => {
      const attempts = row.attempts + 1;
      try {
        await channel({
          id: row.id,
          userId: row.user_id,
          kind: row.kind,
          payload: row.payload,
          attempts,
          createdAt: new Date(row.created_at),
        });
        await sql`
          update notifications set status = 'sent', attempts = ${attempts}, delivered_at = now(),
            last_error = null, next_attempt_at = null
          where id = ${row.id}`;
      } catch (err) {
        const dead = attempts >= maxAttempts;
        const delayMs = retryBaseMs * 2 ** (attempts - 1);
        await sql`
          update notifications set status = ${dead ? 'dead' : 'failed'}, attempts = ${attempts},
            last_error = ${String(err).slice(0, 500)},
            next_attempt_at = ${dead ? null : sql`now() + ${delayMs} * interval '1 millisecond'`}
          where id = ${row.id}`;
      }
    }),
  );
  return claimed.length;
}
