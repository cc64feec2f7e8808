// Consumer group `notifier`: user-visible changes (confirmed, cancelled, expired) become
// stored notifications — one per reservation and kind, whoever stores it first: the sale's
// own statement, the persister's, or this consumer's (core/records/notices.ts) — and a
// delivery loop sends them through the configured channel with retries. A traced change's
// processing, and the write of the notifications it became, are spans of its trace, and
// its line says what notification it became, if any (consumer-spans.ts).
import type { Kafka } from 'kafkajs';
import { Counter, type Registry } from 'prom-client';
import { CatalogChange, HOLDER_NOTICES } from '../core/catalog/changes.js';
import { noticesOf } from '../core/records/notices.js';
import { parseReservationChange, type ReservationChange } from '../core/reservations/changes.js';
import type { Sql } from '../platform/db/client.js';
import type { Logger } from '../platform/logger.js';
import { createLoop } from '../platform/loop.js';
import { type Span, tracingOn } from '../platform/tracing.js';
import { createBatchConsumer, parseJson } from './batch-consumer.js';
import {
  endSpans,
  logTracedChanges,
  startProcessSpan,
  startWriteSpans,
  type TracedChange,
} from './consumer-spans.js';
import {
  type Channel,
  DEFAULT_DELIVERY_BATCH,
  type Delivery,
  type DeliveryOptions,
  deliverClaimed,
  deliverDue,
  type NewNotification,
  storeNotifications,
} from './notifications.js';
import type { ConsumerOptions } from './persister.js';

/** Notifications stored claimed, waiting for this worker's delivery loop (at most). */
const MAX_READY = 2000;

// How the relay's JSON of a new hold starts (`type` is its first key): most of a surge's
// messages, and nothing to tell anyone, so they are skipped before any parsing. Anything
// else, from any producer, is parsed and checked in full.
const HELD_PREFIX = Buffer.from('{"type":"reservation.held",');
const isHeld = (value: Buffer) =>
  value.length > HELD_PREFIX.length && HELD_PREFIX.compare(value, 0, HELD_PREFIX.length) === 0;

/**
 * The notification of a step, as the record stores it (core/records/notices.ts): the
 * persister and the api store it with the step's row already; this consumer only stores
 * what they have not yet, for this worker to deliver at once.
 */
export function toNotification(step: ReservationChange): NewNotification | null {
  const [notice] = noticesOf([step]);
  if (!notice) return null;
  return {
    userId: notice.user_id,
    eventId: notice.event_id,
    reservationId: notice.reservation_id,
    kind: notice.kind,
    dedupeKey: `${notice.kind}:${notice.reservation_id}`,
    payload: notice.payload,
  };
}

/** One notice per holder (held or confirmed tickets) of the changed event. */
async function holderNotices(sql: Sql, change: CatalogChange): Promise<NewNotification[]> {
  const holders = await sql<{ user_id: string }[]>`
    select distinct user_id from reservations
    where event_id = ${change.eventId} and status in ('held', 'confirmed')`;
  return holders.map(({ user_id }) => ({
    userId: user_id,
    eventId: change.eventId,
    reservationId: null,
    kind: change.type,
    dedupeKey: `${change.type}:${change.eventId}:${change.at}:${user_id}`,
    payload: { eventId: change.eventId, changes: change.changes, at: change.at },
  }));
}

export function createNotifier(
  kafka: Kafka,
  sql: Sql,
  logger: Logger,
  registry: Registry,
  options: ConsumerOptions &
    DeliveryOptions & { channel: Channel; pollMs: number; catalogTopic?: string },
) {
  const stored = new Counter({
    name: 'notifications_stored_total',
    help: 'Notifications created',
    registers: [registry],
  });
  const outcomes = new Counter({
    name: 'notifications_delivered_total',
    help: 'Delivery attempts by channel and result',
    labelNames: ['channel', 'result'] as const,
    registers: [registry],
  });
  // Count deliveries by wrapping the channel.
  const channel: Channel = async (n) => {
    try {
      await options.channel(n);
      outcomes.inc({ channel: options.channelName, result: 'sent' });
    } catch (err) {
      outcomes.inc({ channel: options.channelName, result: 'failed' });
      throw err;
    }
  };

  // What this worker stored is stored claimed for it (storeNotifications) and waits here,
  // so the next pass delivers it without finding and claiming it again. Bounded: past
  // MAX_READY, new notifications are stored due and the claiming path takes them.
  const claimMs = options.claimMs ?? 30_000;
  const ready: Delivery[] = [];
  // A full batch means more are due: deliver on at once (a surge's confirmations would
  // otherwise wait a poll per batch), a bounded number of rounds per pass.
  const batchSize = options.batchSize ?? DEFAULT_DELIVERY_BATCH;
  const deliverPass = async () => {
    for (let round = 0; round < 20 && ready.length > 0; round++) {
      await deliverClaimed(sql, channel, ready.splice(0, batchSize), options);
    }
    for (let round = 0; round < 20; round++) {
      if ((await deliverDue(sql, channel, { ...options, batchSize })) < batchSize) return;
    }
  };
  const delivery = createLoop(
    deliverPass,
    () => options.pollMs,
    (err) => logger.error({ err }, 'notification delivery pass failed'),
  );
  const consumer = createBatchConsumer(kafka, {
    groupId: options.groupId,
    topics: options.catalogTopic ? [options.topic, options.catalogTopic] : [options.topic],
    sessionTimeoutMs: options.sessionTimeoutMs,
    handle: async (topic, partition, messages) => {
      const items: NewNotification[] = [];
      // The traced changes; `noticed`: the spans of those that became a notification.
      const handled: TracedChange[] | undefined = tracingOn() ? [] : undefined;
      const noticed: Span[] = [];
      for (const message of messages) {
        if (topic === options.catalogTopic) {
          const change = CatalogChange.safeParse(parseJson(message.value));
          if (change.success && HOLDER_NOTICES.has(change.data.type)) {
            items.push(...(await holderNotices(sql, change.data)));
          }
          continue;
        }
        const span = handled && startProcessSpan(options.groupId, topic, partition, message);
        const change: TracedChange | undefined = span && { span, message };
        if (change) handled?.push(change);
        const value = message.value;
        if (!value || isHeld(value)) continue;
        const step = parseReservationChange(value);
        if (change) change.change = step;
        const item = step ? toNotification(step) : null;
        if (item) {
          items.push(item);
          if (change) {
            change.span.setAttribute('drop.notification.kind', item.kind);
            change.outcome = { notification: item.kind };
            noticed.push(change.span);
          }
        }
      }
      const traced = handled?.map((h) => h.span);
      const claim = ready.length < MAX_READY;
      const writes = startWriteSpans(noticed, 'insert notifications', items.length);
      let added: Awaited<ReturnType<typeof storeNotifications>>;
      try {
        added = await storeNotifications(
          sql,
          { channel: options.channelName, namespace: options.namespace },
          items,
          claim ? claimMs : 0,
        );
      } catch (err) {
        if (traced) endSpans([...writes, ...traced], err);
        throw err;
      }
      if (traced && handled) {
        endSpans([...writes, ...traced]);
        logTracedChanges(logger, options.groupId, handled, 'change processed');
      }
      stored.inc(added.length);
      if (claim) ready.push(...added);
    },
  });

  async function start() {
    await consumer.start();
    delivery.start();
  }

  async function stop() {
    await delivery.stop();
    await consumer.stop();
  }

  return { start, stop, deliverNow: deliverPass };
}
