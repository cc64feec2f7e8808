// The relay: publishes every event's outbox stream (written by the hold scripts in the
// same atomic step as each change) to Kafka, and deletes from the stream only what Kafka
// acknowledged (idempotent producer, acks=all). HTTP never waits on it: with Kafka down
// the outbox just grows, and drains when Kafka is back.
//
// Order: one relay at a time publishes a given event's outbox — it holds a lease in
// Redis — and reads the stream from its start, so a reservation's steps reach Kafka in
// the order they happened. A relay that dies loses its lease after `leaseMs` and the next
// one starts over from whatever was not deleted: at-least-once, never lost; the consumers
// are idempotent.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Producer } from 'kafkajs';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { CatalogChange } from '../core/catalog/changes.js';
import { fromOutboxEntry, reservationChangeJson } from '../core/reservations/changes.js';
import type { Keyspace } from '../core/reservations/keys.js';
import { scriptRunnerOf } from '../core/reservations/scripts.js';
import type { Logger } from '../platform/logger.js';
import { createLoop } from '../platform/loop.js';
import type { RedisClient } from '../platform/redis.js';
import { type Span, tracingOn } from '../platform/tracing.js';
import {
  endRelaySpans,
  entryLogFields,
  logRelayed,
  startEntrySpan,
  startSendSpan,
  type TraceHeaders,
  traceHeaders,
} from './relay-spans.js';

/** A pass that published at least this many entries means changes are flowing. */
const BUSY = 50;

export interface RelayOptions {
  /** reservations.v1: every event's hold changes */
  topic: string;
  /** catalog.v1: admin changes, when this relay also carries them */
  catalogTopic?: string;
  /** Between passes while changes trickle in: how long a lone change may wait (100 ms). */
  intervalMs?: number;
  /**
   * Between passes while changes flow (the last pass published at least BUSY entries):
   * a surge's changes gather into fewer, larger Kafka requests — the broker's CPU is per
   * request more than per message (perf/http/pipeline-cpu.ts). 2 × intervalMs by default.
   */
  lingerMs?: number;
  /** Entries per XRANGE and per Kafka request (1000). */
  batchSize?: number;
  leaseMs?: number;
}

export function createRelay(
  redis: RedisClient,
  keys: Keyspace,
  producer: Producer,
  logger: Logger,
  registry: Registry,
  options: RelayOptions,
) {
  const {
    topic,
    intervalMs = 100,
    lingerMs = 2 * intervalMs,
    batchSize = 1000,
    // Renewed with every pass (every intervalMs while there is work): a relay that dies
    // hands its streams over within this, so the record lags by at most about as much.
    leaseMs = 1500,
  } = options;
  const owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const run = scriptRunnerOf(redis);

  const published = new Counter({
    name: 'relay_published_total',
    help: 'Outbox entries published to Kafka',
    registers: [registry],
  });
  const produceErrors = new Counter({
    name: 'relay_produce_errors_total',
    help: 'Failed publishes to Kafka (retried)',
    registers: [registry],
  });
  const poison = new Counter({
    name: 'relay_poison_total',
    help: 'Outbox entries that could not be read, moved aside',
    registers: [registry],
  });
  const produceLatency = new Histogram({
    name: 'relay_produce_duration_seconds',
    help: 'Time for Kafka to acknowledge one batch (acks=all)',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
    registers: [registry],
  });
  let depth = 0;
  let lagSeconds = 0;
  new Gauge({
    name: 'outbox_depth',
    help: 'Outbox entries not yet in Kafka (last pass)',
    registers: [registry],
    collect() {
      this.set(depth);
    },
  });
  new Gauge({
    name: 'relay_lag_seconds',
    help: 'Age of the oldest outbox entry not yet in Kafka (last pass)',
    registers: [registry],
    collect() {
      this.set(lagSeconds);
    },
  });

  const lease = async (key: string) =>
    Number((await run('acquireLease', [key], [owner, leaseMs]))[0]) === 1;

  /** A Kafka message; `headers` only for a traced entry's (relay-spans.ts). */
  type Message = { key: string; value: string; headers?: TraceHeaders };

  interface Stream {
    key: string;
    lease: string;
    topic: string;
    /** An entry as a Kafka message's key and value; throws for an unreadable entry. */
    toMessage: (fields: string[]) => Message;
  }

  const eventStream = (eventId: string): Stream => {
    const k = keys.event(eventId);
    return {
      key: k.outbox,
      lease: k.outboxLease,
      topic,
      toMessage: (fields) => {
        const event = fromOutboxEntry(fields);
        return { key: event.eventId, value: reservationChangeJson(event) };
      },
    };
  };

  const catalogStream: Stream | null = options.catalogTopic
    ? {
        key: keys.catalogOutbox,
        lease: keys.catalogOutboxLease,
        topic: options.catalogTopic,
        toMessage: (fields) => {
          const change = CatalogChange.parse(
            JSON.parse(fields[fields.indexOf('change') + 1] ?? ''),
          );
          return { key: change.eventId, value: JSON.stringify(change) };
        },
      }
    : null;

  /**
   * Publishes one outbox stream if this relay holds its lease; returns entries published.
   * `first` hears the id of the oldest entry waiting.
   */
  async function relayStream(stream: Stream, first: (id: string) => void): Promise<number> {
    if (!(await lease(stream.lease))) return 0;
    let sent = 0;
    for (;;) {
      const entries = await redis.xrange(stream.key, '-', '+', 'COUNT', batchSize);
      if (entries.length === 0) return sent;
      if (sent === 0) first(entries[0]?.[0] as string);
      const messages: Message[] = [];
      const ids: string[] = [];
      // Headers only on a traced entry's message (its traceparent, its request's id): a
      // change's identity is its reservationId and seq, and every header is encoded once and
      // decoded by each consumer group, so an untraced message carries none.
      const traced = tracingOn();
      const spans: Span[] = [];
      const tracedFields: string[][] = [];
      for (const [id, fields] of entries) {
        try {
          const message = stream.toMessage(fields);
          const span = traced ? startEntrySpan(stream.topic, id, fields) : undefined;
          if (span) {
            message.headers = traceHeaders(span, fields);
            spans.push(span);
            tracedFields.push(fields);
          }
          messages.push(message);
          ids.push(id);
        } catch (err) {
          // Only our code writes here, so this is a bug: keep the entry aside, go on.
          poison.inc();
          logger.error(
            { err, stream: stream.key, id, ...entryLogFields(fields) },
            'unreadable outbox entry moved to the dead-letter stream',
          );
          await redis.xadd(`${stream.key}:dead`, '*', ...fields);
          await redis.xdel(stream.key, id);
        }
      }
      if (messages.length > 0) {
        const send = spans.length > 0 ? startSendSpan(stream.topic, spans, ids.length) : undefined;
        try {
          const stop = produceLatency.startTimer();
          try {
            await producer.send({ topic: stream.topic, acks: -1, messages });
          } catch (err) {
            produceErrors.inc();
            throw err;
          } finally {
            stop();
          }
          // Acknowledged by Kafka: only now leave the outbox.
          await redis.xdel(stream.key, ...ids);
        } catch (err) {
          if (spans.length > 0) endRelaySpans(spans, send, err);
          throw err;
        }
        if (spans.length > 0) {
          endRelaySpans(spans, send);
          logRelayed(logger, spans, tracedFields);
        }
        published.inc(ids.length);
        sent += ids.length;
      }
      if (entries.length < batchSize) return sent;
      await lease(stream.lease);
    }
  }

  /** One pass over every live event with something in its outbox. */
  async function tick(): Promise<number> {
    const events = await redis.smembers(keys.liveEvents);
    const [lengths, catalogLength] = await Promise.all([
      Promise.all(events.map((e) => redis.xlen(keys.event(e).outbox))),
      catalogStream ? redis.xlen(catalogStream.key) : 0,
    ]);
    const streams = events.filter((_, i) => (lengths[i] ?? 0) > 0).map(eventStream);
    if (catalogStream && catalogLength > 0) streams.push(catalogStream);
    depth = lengths.reduce((a, b) => a + b, 0);

    let sent = 0;
    let failure: unknown;
    // The oldest entry each stream's first read found: how far behind Kafka this relay is.
    let oldest = Number.POSITIVE_INFINITY;
    for (const stream of streams) {
      try {
        sent += await relayStream(stream, (id) => {
          oldest = Math.min(oldest, Number(id.slice(0, id.indexOf('-'))));
        });
      } catch (err) {
        failure ??= err;
      }
    }
    lagSeconds = Number.isFinite(oldest) ? Math.max(0, (Date.now() - oldest) / 1000) : 0;
    if (failure) throw failure;
    return sent;
  }

  let failing = false;
  let lastSent = 0;
  const loop = createLoop(
    async () => {
      lastSent = await tick();
      if (failing) logger.info('relay publishing again');
      failing = false;
    },
    // Kafka (or Redis) down: keep everything, back off up to 2 s, try again.
    (failures) =>
      failures > 0
        ? Math.min(intervalMs * 2 ** failures, 2000)
        : lastSent >= BUSY
          ? lingerMs
          : intervalMs,
    (err) => {
      if (!failing)
        logger.warn({ err: String(err) }, 'relay cannot publish; the outbox keeps the changes');
      failing = true;
    },
  );

  return {
    tick,
    start: () => loop.start(0),
    /** Stops after the pass in progress and gives the leases back. */
    async stop() {
      await loop.stop();
      const leases = (await redis.smembers(keys.liveEvents).catch(() => [])).map(
        (e) => keys.event(e).outboxLease,
      );
      for (const leaseKey of [...leases, keys.catalogOutboxLease]) {
        await run('releaseLease', [leaseKey], [owner]).catch(() => {});
      }
    },
  };
}

export type Relay = ReturnType<typeof createRelay>;
