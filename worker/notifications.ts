// User notifications: one row per user-visible change (deduplicated by the change's
// identity, so a redelivered message adds nothing), delivered by a loop that retries with
// exponential backoff and dead-letters after NOTIFY_MAX_ATTEMPTS.
import { createHmac } from 'node:crypto';
import type { Sql } from '../platform/db/client.js';
import type { Logger } from '../platform/logger.js';

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
 * Stores notifications for users that exist (others are skipped: nobody to tell) and
 * returns the new ones. With `claimMs`, they are stored already claimed by the caller for
 * that long (as deliverDue claims), so it can deliver them at once without claiming them
 * again — one write per notification less; if it never does (a crash), they fall due when
 * the claim runs out and any worker delivers them.
 */
export async function storeNotifications(
  sql: Sql,
  scope: { channel: string; namespace: string },
  items: NewNotification[],
  claimMs = 0,
): Promise<Delivery[]> {
  if (items.length === 0) return [];
  const rows = items.map((n) => ({
    user_id: n.userId,
    event_id: n.eventId,
    reservation_id: n.reservationId,
    kind: n.kind,
    dedupe_key: n.dedupeKey,
    payload: n.payload,
  }));
  const inserted = await sql<{ id: string; dedupe_key: string; created_at: Date }[]>`
    insert into notifications (user_id, event_id, reservation_id, kind, dedupe_key, payload, channel, namespace, next_attempt_at, created_at)
    -- created_at in whole milliseconds: page cursors carry JavaScript (ms) times.
    select n.user_id, e.id, n.reservation_id, n.kind, n.dedupe_key, n.payload,
      ${scope.channel}, ${scope.namespace},
      now() + ${claimMs} * interval '1 millisecond', date_trunc('milliseconds', now())
    -- Sent as text and cast here: the same statement then works on a client whose json
    -- serialiser drizzle replaced and on a plain one.
    from json_to_recordset(${JSON.stringify(rows)}::text::json) as n(
      user_id uuid, event_id uuid, reservation_id text, kind text, dedupe_key text, payload jsonb)
    join users u on u.id = n.user_id
    left join events e on e.id = n.event_id
    -- Any of its identities: the change's key, or its reservation and kind.
    on conflict do nothing
    returning id, dedupe_key, created_at`;
  if (inserted.length === 0) return [];
  const byKey = new Map(items.map((n) => [n.dedupeKey, n]));
  return inserted.map((row) => {
    const n = byKey.get(row.dedupe_key) as NewNotification;
    return {
      id: row.id,
      userId: n.userId,
      kind: n.kind,
      payload: n.payload,
      attempts: 0,
      createdAt: new Date(row.created_at),
    };
  });
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

export const DEFAULT_DELIVERY_BATCH = 50;

export interface DeliveryOptions {
  /** Only notifications stored for this channel are delivered here (log, webhook). */
  channelName: string;
  /** ... and by this engine (REDIS_KEY_PREFIX): see the notifications table's namespace. */
  namespace: string;
  maxAttempts: number;
  retryBaseMs: number;
  batchSize?: number;
  /** How long a claimed notification is reserved for one deliverer. */
  claimMs?: number;
}

/**
 * Claims the notifications that are due: moves next_attempt_at forward under SKIP LOCKED,
 * so several workers never deliver the same one at the same time.
 */
export async function claimDue(sql: Sql, options: DeliveryOptions): Promise<Delivery[]> {
  const { channelName, namespace, batchSize = DEFAULT_DELIVERY_BATCH, claimMs = 30_000 } = options;
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
        and namespace = ${namespace}
      order by next_attempt_at
      limit ${batchSize}
      for update skip locked)
    returning id, user_id, kind, payload, attempts, created_at`;
  return claimed.map((row) => ({
    id: row.id,
    userId: row.user_id,
    kind: row.kind,
    payload: row.payload,
    attempts: row.attempts,
    createdAt: new Date(row.created_at),
  }));
}

/**
 * Delivers notifications this worker claimed (`attempts` as stored: this is one more).
 * Delivered ones are marked in one statement (one commit) for the whole batch; failures,
 * rare, one by one with their own backoff. Returns how many it tried.
 */
export async function deliverClaimed(
  sql: Sql,
  channel: Channel,
  claimed: Delivery[],
  options: Pick<DeliveryOptions, 'maxAttempts' | 'retryBaseMs'>,
): Promise<number> {
  const { maxAttempts, retryBaseMs } = options;
  const delivered: { id: string; attempts: number }[] = [];
  await Promise.all(
    claimed.map(async (n) => {
      const attempts = n.attempts + 1;
      try {
        await channel({ ...n, attempts });
        delivered.push({ id: n.id, attempts });
      } catch (err) {
        const dead = attempts >= maxAttempts;
        const delayMs = retryBaseMs * 2 ** (attempts - 1);
        await sql`
          update notifications set status = ${dead ? 'dead' : 'failed'}, attempts = ${attempts},
            last_error = ${String(err).slice(0, 500)},
            next_attempt_at = ${dead ? null : sql`now() + ${delayMs} * interval '1 millisecond'`}
          where id = ${n.id}`;
      }
    }),
  );
  if (delivered.length > 0) {
    await sql`
      update notifications n set status = 'sent', attempts = d.attempts, delivered_at = now(),
        last_error = null, next_attempt_at = null
      from json_to_recordset(${JSON.stringify(delivered)}::text::json) as d(id uuid, attempts int)
      where n.id = d.id`;
  }
  return claimed.length;
}

/** Claims and delivers the notifications that are due; returns how many it claimed. */
export async function deliverDue(
  sql: Sql,
  channel: Channel,
  options: DeliveryOptions,
): Promise<number> {
  return deliverClaimed(sql, channel, await claimDue(sql, options), options);
}
