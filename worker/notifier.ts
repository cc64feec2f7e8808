// Consumer group `notifier`: turns user-visible changes (confirmed, cancelled, expired)
// into stored notifications — one per change, however often a message is redelivered —
// and a delivery loop sends them through the configured channel with retries.
import type { Kafka } from 'kafkajs';
import { Counter, type Registry } from 'prom-client';
import { CatalogChange, HOLDER_NOTICES } from '../common/catalog/changes.js';
import type { Sql } from '../common/db/client.js';
import type { Logger } from '../common/logger.js';
import { ReservationEvent } from '../common/outbox/messages.js';
import {
  type Channel,
  type DeliveryOptions,
  deliverDue,
  type NewNotification,
  storeNotifications,
} from '../common/pipeline/notifications.js';
import { type ConsumerOptions, parseJson } from './persister.js';

const NOTIFIED = new Set(['reservation.confirmed', 'reservation.cancelled', 'reservation.expired']);

export function toNotification(step: ReservationEvent): NewNotification | null {
  if (!NOTIFIED.has(step.type)) return null;
  return {
    userId: step.userId,
    eventId: step.eventId,
    reservationId: step.reservationId,
    kind: step.type,
    dedupeKey: `${step.type}:${step.reservationId}:${step.seq}`,
    payload: {
      reservationId: step.reservationId,
      eventId: step.eventId,
      categoryId: step.categoryId,
      quantity: step.quantity,
      at: step.at,
    },
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
  const consumer = kafka.consumer({
    groupId: options.groupId,
    sessionTimeout: options.sessionTimeoutMs ?? 30_000,
  });
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

  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();
  let stopped = true;
  const loop = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = deliverDue(sql, channel, options)
        .catch((err) => logger.error({ err }, 'notification delivery pass failed'))
        .finally(loop);
    }, options.pollMs);
  };

  async function start() {
    await consumer.connect();
    const topics = options.catalogTopic ? [options.topic, options.catalogTopic] : [options.topic];
    await consumer.subscribe({ topics, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
        if (!isRunning() || isStale() || batch.messages.length === 0) return;
        const items: NewNotification[] = [];
        for (const message of batch.messages) {
          if (batch.topic === options.catalogTopic) {
            const change = CatalogChange.safeParse(parseJson(message.value));
            if (change.success && HOLDER_NOTICES.has(change.data.type)) {
              items.push(...(await holderNotices(sql, change.data)));
            }
            continue;
          }
          const parsed = ReservationEvent.safeParse(parseJson(message.value));
          const item = parsed.success ? toNotification(parsed.data) : null;
          if (item) items.push(item);
        }
        stored.inc(await storeNotifications(sql, options.channelName, items));
        const last = batch.messages[batch.messages.length - 1]?.offset as string;
        resolveOffset(last);
        await consumer.commitOffsets([
          {
            topic: batch.topic,
            partition: batch.partition,
            offset: (BigInt(last) + 1n).toString(),
          },
        ]);
        await heartbeat();
      },
    });
    stopped = false;
    loop();
  }

  async function stop() {
    stopped = true;
    clearTimeout(timer);
    await running;
    await consumer.disconnect();
  }

  return { start, stop, deliverNow: () => deliverDue(sql, channel, options) };
}
