// The availability stream (GET /v1/events/:id/availability/stream, Server-Sent Events):
// one Redis subscription per event per api process, fanned out in-process to every open
// stream of that event. The channel is a shard channel named by the event key (SSUBSCRIBE:
// on a cluster it lives on the event's shard, not on every node). The hold scripts publish
// on it with every change
// (lua/includes/appendOutbox.lua), the catalog on every change of state or capacity
// (core/reservations/holds.ts); a burst of changes is read once per AVAILABILITY_STREAM_MS
// (one availability script for all the event's streams) and sent only if the document
// changed. Nothing polls Redis per client.
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Keyspace } from '../core/reservations/keys.js';
import type { Logger } from '../platform/logger.js';
import type { RedisClient } from '../platform/redis.js';
import type { AvailabilitySnapshot } from './availability.js';
import { ApiError } from './problem.js';

export interface StreamListener {
  /** A new availability document (its version is the snapshot's ETag). */
  send(snapshot: AvailabilitySnapshot): void;
  /** A comment line, so proxies and clients see the stream alive. */
  ping(): void;
  /** The stream ends: the engine is shutting down. */
  end(reason: 'shutdown'): void;
}

interface EventGroup {
  listeners: Set<StreamListener>;
  lastEtag: string | undefined;
  dirty: boolean;
  timer: NodeJS.Timeout | undefined;
  lastReadAt: number;
}

export interface AvailabilityStreamOptions {
  intervalMs: number;
  maxStreams: number;
  maxPerCaller: number;
  heartbeatMs?: number;
}

export function createAvailabilityStreams(
  subscriber: RedisClient,
  keys: Keyspace,
  read: (eventId: string) => Promise<AvailabilitySnapshot | null>,
  logger: Logger,
  registry: Registry,
  options: AvailabilityStreamOptions,
) {
  const groups = new Map<string, EventGroup>();
  const byChannel = new Map<string, string>();
  const perCaller = new Map<string, number>();
  let open = 0;
  let closing = false;

  new Gauge({
    name: 'availability_streams_open',
    help: 'Open availability streams (SSE) on this api process',
    registers: [registry],
    collect() {
      this.set(open);
    },
  });
  const messages = new Counter({
    name: 'availability_stream_messages_total',
    help: 'Availability documents sent on streams',
    registers: [registry],
  });

  // Sharded pub/sub (SSUBSCRIBE): the channel is the event key, on the event's shard.
  subscriber.on('smessage', (channel: string) => {
    const eventId = byChannel.get(channel);
    const group = eventId && groups.get(eventId);
    if (!group || !eventId) return;
    group.dirty = true;
    schedule(eventId, group);
  });

  /** Reads the event once its interval allows, and sends a changed document to all. */
  function schedule(eventId: string, group: EventGroup) {
    if (group.timer) return;
    const wait = Math.max(0, group.lastReadAt + options.intervalMs - Date.now());
    group.timer = setTimeout(() => {
      group.timer = undefined;
      if (!group.dirty || group.listeners.size === 0) return;
      group.dirty = false;
      group.lastReadAt = Date.now();
      read(eventId).then(
        (snapshot) => {
          if (!snapshot || snapshot.etag === group.lastEtag) return;
          group.lastEtag = snapshot.etag;
          for (const listener of group.listeners) listener.send(snapshot);
          messages.inc(group.listeners.size);
        },
        (err) => {
          // Read again at the next change (or at once, if one came meanwhile).
          group.dirty = true;
          logger.warn({ err, eventId }, 'availability stream read failed');
        },
      );
    }, wait);
    group.timer.unref();
  }

  const heartbeat = setInterval(() => {
    for (const group of groups.values()) for (const listener of group.listeners) listener.ping();
  }, options.heartbeatMs ?? 15_000);
  heartbeat.unref();

  return {
    /**
     * Admits a stream for `caller` (a user id, or the client ip): 503 overloaded past the
     * process's or the caller's limit. Returns the release to call when the stream ends.
     */
    admit(caller: string): () => void {
      if (closing)
        throw new ApiError('overloaded', 'The api is shutting down', {
          headers: { 'Retry-After': '1' },
        });
      const mine = perCaller.get(caller) ?? 0;
      if (open >= options.maxStreams || mine >= options.maxPerCaller) {
        throw new ApiError(
          'overloaded',
          'Too many availability streams open; poll availability instead',
          {
            headers: { 'Retry-After': '5' },
          },
        );
      }
      open += 1;
      perCaller.set(caller, mine + 1);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        open -= 1;
        const left = (perCaller.get(caller) ?? 1) - 1;
        if (left > 0) perCaller.set(caller, left);
        else perCaller.delete(caller);
      };
    },

    /** Adds a listener to the event's group (subscribing on the first one). */
    async listen(eventId: string, listener: StreamListener): Promise<() => void> {
      let group = groups.get(eventId);
      if (!group) {
        group = {
          listeners: new Set(),
          lastEtag: undefined,
          dirty: false,
          timer: undefined,
          lastReadAt: 0,
        };
        groups.set(eventId, group);
        const channel = keys.event(eventId).event;
        byChannel.set(channel, eventId);
        await subscriber.ssubscribe(channel);
      }
      group.listeners.add(listener);
      const g = group;
      return () => {
        g.listeners.delete(listener);
        if (g.listeners.size > 0 || groups.get(eventId) !== g) return;
        groups.delete(eventId);
        if (g.timer) clearTimeout(g.timer);
        const channel = keys.event(eventId).event;
        byChannel.delete(channel);
        subscriber.sunsubscribe(channel).catch(() => {});
      };
    },

    /** Ends every stream with a final event; new ones are refused. */
    close() {
      closing = true;
      clearInterval(heartbeat);
      for (const group of groups.values()) {
        if (group.timer) clearTimeout(group.timer);
        for (const listener of group.listeners) listener.end('shutdown');
      }
      groups.clear();
      subscriber.disconnect();
    },
  };
}

export type AvailabilityStreams = ReturnType<typeof createAvailabilityStreams>;
