// The availability stream (GET /v1/events/:id/availability/stream, Server-Sent Events):
// fed by the event's view (event-views.ts), which listens on the event's shard channel and
// reads the event once per AVAILABILITY_STREAM_MS after a change; the document is fanned
// out in-process to every open stream of that event, only when it changed, and at most
// once per AVAILABILITY_STREAM_MS. Nothing polls Redis per client.
import { Counter, Gauge, type Registry } from 'prom-client';
import type { EventView } from '../core/reservations/event-stock.js';
import { type AvailabilitySnapshot, availabilityOf } from './availability.js';
import type { EventViews } from './event-views.js';
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
  /** a changed document waiting for the pace to allow it */
  pending: AvailabilitySnapshot | undefined;
  timer: NodeJS.Timeout | undefined;
  lastSentAt: number;
  stop: Promise<() => void>;
}

export interface AvailabilityStreamOptions {
  intervalMs: number;
  maxStreams: number;
  maxPerCaller: number;
  heartbeatMs?: number;
}

export function createAvailabilityStreams(
  views: EventViews,
  registry: Registry,
  options: AvailabilityStreamOptions,
) {
  const groups = new Map<string, EventGroup>();
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

  function sendPending(group: EventGroup) {
    const snapshot = group.pending;
    if (!snapshot) return;
    group.pending = undefined;
    group.lastSentAt = Date.now();
    for (const listener of group.listeners) listener.send(snapshot);
    messages.inc(group.listeners.size);
  }

  /** A view was read: a changed document goes out now, or when the pace allows. */
  function heard(eventId: string, group: EventGroup, view: EventView) {
    const snapshot = availabilityOf(eventId, view);
    if (snapshot.etag === group.lastEtag) return;
    group.lastEtag = snapshot.etag;
    group.pending = snapshot;
    if (group.timer) return;
    const wait = group.lastSentAt + options.intervalMs - Date.now();
    if (wait <= 0) return sendPending(group);
    group.timer = setTimeout(() => {
      group.timer = undefined;
      sendPending(group);
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

    /** Adds a listener to the event's group (listening to its view on the first one). */
    async listen(eventId: string, listener: StreamListener): Promise<() => void> {
      let group = groups.get(eventId);
      if (!group) {
        const created: EventGroup = {
          listeners: new Set(),
          lastEtag: undefined,
          pending: undefined,
          timer: undefined,
          lastSentAt: 0,
          stop: Promise.resolve(() => {}),
        };
        created.stop = views.listen(eventId, (view) => heard(eventId, created, view));
        groups.set(eventId, created);
        group = created;
      }
      const g = group;
      g.listeners.add(listener);
      const leave = () => {
        g.listeners.delete(listener);
        if (g.listeners.size > 0 || groups.get(eventId) !== g) return;
        groups.delete(eventId);
        if (g.timer) clearTimeout(g.timer);
        g.stop.then(
          (stop) => stop(),
          () => {},
        );
      };
      try {
        await g.stop;
      } catch (err) {
        // Not listening (the subscription failed): this stream leaves, the next one tries
        // again with a group of its own.
        leave();
        if (groups.get(eventId) === g) groups.delete(eventId);
        throw err;
      }
      return leave;
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
    },
  };
}

export type AvailabilityStreams = ReturnType<typeof createAvailabilityStreams>;
