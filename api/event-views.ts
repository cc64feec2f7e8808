// What a crowd asks about an event, kept in memory by each api process: the sale state, the
// live stock of every category, the waiting room's admission state and the drop-access
// settings (one Holds.view read). Queue polls with a ticket, sold-out refusals,
// availability and its streams are answered from here, and the drop-access gates read
// their settings here (`settled`: read after the last catalog push, at most a second ago),
// so the crowd costs the event's Redis shard a few reads a second per process, however
// large it is.
//
// Freshness: every hold change, catalog change and admission step is pushed on the event's
// shard channel (SSUBSCRIBE); a push marks the view dirty. A view is read again
//   - when a caller needs it clean (availability after a change: one read in flight serves
//     every request that arrives meanwhile),
//   - in the background, at most every REFRESH_AFTER_MS while it is used,
//   - for streams, at most every `streamIntervalMs` after a push.
// So a view in use is never older than MAX_AGE_MS plus one read, even if a push is lost
// (pub/sub does not queue for a reconnecting subscriber). Redis stays the only judge of an
// accepted reserve: memory may only refuse, and only from a clean, young view.
import { LRUCache } from 'lru-cache';
import { Counter, type Registry } from 'prom-client';
import type { EventView } from '../core/reservations/event-stock.js';
import type { Holds } from '../core/reservations/holds.js';
import type { Keyspace } from '../core/reservations/keys.js';
import type { Logger } from '../platform/logger.js';
import type { RedisClient } from '../platform/redis.js';

/** A view older than this is read again in the background when someone uses it. */
const REFRESH_AFTER_MS = 100;
/** What a refusal leaves for the read that may be on its way: it refuses from younger views. */
const READ_MARGIN_MS = 100;
/** The staleness bound (SPEC §7): older, a caller waits for a read instead. */
export const MAX_AGE_MS = 250;
/**
 * The drop-access settings (SPEC §9) change only with the catalog ('state' pushes): a view
 * read since the last one serves them this long (the catalog cache's bound), and is read
 * again in the background after half of it, so a gate adds no read per request.
 */
const SETTINGS_MAX_AGE_MS = 1000;
/** Events kept in memory per process; the least recently used one is dropped past it. */
const MAX_EVENTS = 10_000;
/** An event nobody asked about for this long is dropped, and its channel left. */
const IDLE_MS = 60_000;

export type ViewListener = (view: EventView) => void;

interface Entry {
  eventId: string;
  /** undefined before the first read; null when Redis has no such event */
  view: EventView | null | undefined;
  /** local clock (ms) when the read behind `view` started */
  readAt: number;
  /** pushes heard so far; a read is clean when none came while it was in flight */
  pushes: number;
  /** of those, the ones that change the waiting room: an admission step, a new state */
  queuePushes: number;
  /** a push came since the read started: the stock may have changed */
  dirty: boolean;
  /** a waiting-room push came since the read started */
  queueDirty: boolean;
  /** of those, the catalog's: a new sale state or settings */
  statePushes: number;
  /** a catalog push came since the read started */
  stateDirty: boolean;
  reading: Promise<EventView | null> | undefined;
  /** the SSUBSCRIBE, once sent: it listens once this settles */
  subscription: Promise<void> | undefined;
  listeners: Set<ViewListener>;
  streamTimer: NodeJS.Timeout | undefined;
  lastStreamReadAt: number;
}

export interface EventViewsOptions {
  /** the availability streams' pace: at most one read per this long after a push */
  streamIntervalMs: number;
  /** availability may be served this long after a push without reading again (0: never) */
  availabilityCacheMs: number;
}

export function createEventViews(
  holds: Pick<Holds, 'view'>,
  subscriber: RedisClient,
  keys: Keyspace,
  logger: Logger,
  registry: Registry,
  options: EventViewsOptions,
) {
  const reads = new Counter({
    name: 'event_view_reads_total',
    help: 'Reads of an event view from Redis by this api process, by why',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  const readsFor = {
    wait: reads.labels('wait'),
    refresh: reads.labels('refresh'),
    stream: reads.labels('stream'),
  };
  const byChannel = new Map<string, Entry>();
  // Events used lately; one unused for IDLE_MS is dropped (and unsubscribed) by the sweep.
  const entries = new LRUCache<string, Entry>({
    max: MAX_EVENTS,
    ttl: IDLE_MS,
    updateAgeOnGet: true,
    dispose: (entry) => {
      if (entry.listeners.size === 0) forget(entry);
    },
  });
  // Events with open streams stay, used or not.
  const listened = new Map<string, Entry>();
  const sweep = setInterval(() => entries.purgeStale(), IDLE_MS / 2);
  sweep.unref();

  // A hold change publishes its change number; the catalog 'state' or 'category'; an
  // admission step 'queue'. Only the last two kinds change what a waiting fan reads.
  subscriber.on('smessage', (channel: string, message: string) => {
    const entry = byChannel.get(channel);
    if (!entry) return;
    pushed(entry, message === 'state' ? 'state' : message === 'queue' ? 'queue' : 'stock');
    if (entry.listeners.size > 0) scheduleStreamRead(entry);
  });
  // Pushes sent while the subscriber was away are lost: every view is suspect after it
  // (a single node says 'ready' again; a cluster's shard subscribers say 'subscribersReady').
  const suspectAll = () => {
    for (const entry of new Set([...entries.values(), ...listened.values()])) {
      pushed(entry, 'state');
      if (entry.listeners.size > 0) scheduleStreamRead(entry);
    }
  };
  subscriber.on('ready', suspectAll);
  subscriber.on('subscribersReady', suspectAll);

  /** A push: 'queue' changes the waiting room, 'state' the catalog's settings too. */
  function pushed(entry: Entry, kind: 'stock' | 'queue' | 'state') {
    entry.pushes += 1;
    entry.dirty = true;
    if (kind === 'stock') return;
    entry.queuePushes += 1;
    entry.queueDirty = true;
    if (kind === 'queue') return;
    entry.statePushes += 1;
    entry.stateDirty = true;
  }

  function entryOf(eventId: string): Entry {
    let entry = entries.get(eventId);
    if (!entry) {
      entry = listened.get(eventId);
      if (entry) entries.set(eventId, entry);
    }
    if (!entry) {
      entry = {
        eventId,
        view: undefined,
        readAt: 0,
        pushes: 0,
        queuePushes: 0,
        dirty: true,
        queueDirty: true,
        statePushes: 0,
        stateDirty: true,
        reading: undefined,
        subscription: undefined,
        listeners: new Set(),
        streamTimer: undefined,
        lastStreamReadAt: 0,
      };
      entries.set(eventId, entry);
    }
    return entry;
  }

  /** Whether the entry is still the event's (not dropped while a read was in flight). */
  const isCurrent = (entry: Entry) =>
    entries.peek(entry.eventId) === entry || listened.get(entry.eventId) === entry;

  function forget(entry: Entry) {
    if (entry.streamTimer) clearTimeout(entry.streamTimer);
    if (!entry.subscription) return;
    entry.subscription = undefined;
    const channel = keys.event(entry.eventId).event;
    if (byChannel.get(channel) !== entry) return;
    byChannel.delete(channel);
    subscriber.sunsubscribe(channel).catch(() => {});
  }

  /**
   * Listens on the event's channel once it is known to exist (an unknown id costs no
   * subscription). The view read before the subscription may have missed a change: dirty.
   */
  function subscribe(entry: Entry): Promise<void> {
    if (entry.subscription) return entry.subscription;
    const channel = keys.event(entry.eventId).event;
    byChannel.set(channel, entry);
    entry.subscription = subscriber.ssubscribe(channel).then(
      () => pushed(entry, 'state'),
      (err: unknown) => {
        // Not listening: the next use tries again.
        entry.subscription = undefined;
        if (byChannel.get(channel) === entry) byChannel.delete(channel);
        throw err;
      },
    );
    return entry.subscription;
  }

  /** One read in flight per event; every caller meanwhile shares it. */
  function read(entry: Entry, why: keyof typeof readsFor): Promise<EventView | null> {
    if (entry.reading) return entry.reading;
    readsFor[why].inc();
    const startedAt = performance.now();
    const pushesBefore = entry.pushes;
    const queuePushesBefore = entry.queuePushes;
    const statePushesBefore = entry.statePushes;
    entry.reading = holds.view(entry.eventId).then(
      (view) => {
        entry.reading = undefined;
        entry.view = view;
        entry.readAt = startedAt;
        entry.dirty = entry.pushes !== pushesBefore;
        entry.queueDirty = entry.queuePushes !== queuePushesBefore;
        entry.stateDirty = entry.statePushes !== statePushesBefore;
        if (view && !entry.subscription && isCurrent(entry)) {
          subscribe(entry).catch((err: unknown) =>
            logger.warn({ err, eventId: entry.eventId }, 'event channel subscribe failed'),
          );
        }
        if (view) {
          for (const listener of entry.listeners) {
            try {
              listener(view);
            } catch (err) {
              logger.warn({ err, eventId: entry.eventId }, 'event view listener failed');
            }
          }
        }
        // A push during this read (begun for any reason) is not in it: streams read again.
        if (entry.dirty && entry.listeners.size > 0) scheduleStreamRead(entry);
        return view;
      },
      (err: unknown) => {
        entry.reading = undefined;
        throw err;
      },
    );
    return entry.reading;
  }

  function unlisten(entry: Entry, listener: ViewListener) {
    entry.listeners.delete(listener);
    if (entry.listeners.size > 0) return;
    listened.delete(entry.eventId);
    // Dropped from the recent ones while it was listened to: nothing keeps it now.
    if (entries.peek(entry.eventId) !== entry) forget(entry);
  }

  function refreshInBackground(entry: Entry, now: number) {
    if (entry.reading || now - entry.readAt < REFRESH_AFTER_MS) return;
    read(entry, 'refresh').catch((err: unknown) =>
      logger.warn({ err, eventId: entry.eventId }, 'event view read failed'),
    );
  }

  function scheduleStreamRead(entry: Entry) {
    if (entry.streamTimer) return;
    const wait = Math.max(0, entry.lastStreamReadAt + options.streamIntervalMs - performance.now());
    entry.streamTimer = setTimeout(() => {
      entry.streamTimer = undefined;
      if (!entry.dirty || entry.listeners.size === 0) return;
      entry.lastStreamReadAt = performance.now();
      read(entry, 'stream').catch((err: unknown) => {
        logger.warn({ err, eventId: entry.eventId }, 'event view read failed');
        // Read again at the next push (or now, if one came meanwhile).
        if (entry.dirty) scheduleStreamRead(entry);
      });
    }, wait);
    entry.streamTimer.unref();
  }

  /**
   * The view as current() would give it without a read: undefined when a read is due (the
   * caller then takes the way that waits for one). Never waits.
   */
  function fresh(eventId: string, { clean }: { clean: 'stock' | 'queue' }) {
    const entry = entryOf(eventId);
    const now = performance.now();
    const age = now - entry.readAt;
    const pushedSince =
      clean === 'queue' ? entry.queueDirty : entry.dirty && age >= options.availabilityCacheMs;
    if (entry.view === undefined || age > MAX_AGE_MS || pushedSince) return undefined;
    refreshInBackground(entry, now);
    return entry.view;
  }

  /**
   * The view if its catalog settings (the drop-access gates) are current: read after the
   * last catalog push, no older than SETTINGS_MAX_AGE_MS. undefined: a read is due (the
   * caller waits on `current(eventId, { clean: 'settings' })`). Never waits.
   */
  function settled(eventId: string): EventView | null | undefined {
    const entry = entryOf(eventId);
    const now = performance.now();
    const age = now - entry.readAt;
    if (entry.view === undefined || entry.stateDirty || age > SETTINGS_MAX_AGE_MS) return undefined;
    if (age > SETTINGS_MAX_AGE_MS / 2 && !entry.reading) {
      read(entry, 'refresh').catch((err: unknown) =>
        logger.warn({ err, eventId: entry.eventId }, 'event view read failed'),
      );
    }
    return entry.view;
  }

  return {
    fresh,
    settled,

    /**
     * The view, no older than MAX_AGE_MS, with nothing pushed since it was read that
     * changes what the caller reads: `stock` for availability (unless within
     * `availabilityCacheMs`), `queue` for a waiting fan (admission steps, a new state),
     * `settings` for the drop-access gates (see `settled`).
     */
    current(
      eventId: string,
      want: { clean: 'stock' | 'queue' | 'settings' },
    ): Promise<EventView | null> {
      const view =
        want.clean === 'settings' ? settled(eventId) : fresh(eventId, { clean: want.clean });
      return view === undefined ? read(entryOf(eventId), 'wait') : Promise.resolve(view);
    },

    /**
     * The view if it may refuse a reserve now: clean and no older than MAX_AGE_MS less a
     * read's worth. Never waits; a view that is not is read again in the background.
     */
    peek(eventId: string): EventView | null | undefined {
      const entry = entryOf(eventId);
      const now = performance.now();
      refreshInBackground(entry, now);
      if (entry.dirty || now - entry.readAt > MAX_AGE_MS - READ_MARGIN_MS) return undefined;
      return entry.view;
    },

    /** A change made by this process: the next reader must not trust memory. */
    touch(eventId: string) {
      const entry = entries.peek(eventId) ?? listened.get(eventId);
      if (entry) pushed(entry, 'stock');
    },

    /** Tells `listener` of every view read from now on; returns the stop. */
    async listen(eventId: string, listener: ViewListener): Promise<() => void> {
      const entry = entryOf(eventId);
      entry.listeners.add(listener);
      listened.set(eventId, entry);
      try {
        await subscribe(entry);
      } catch (err) {
        unlisten(entry, listener);
        throw err;
      }
      return () => unlisten(entry, listener);
    },

    close() {
      clearInterval(sweep);
      for (const entry of [...entries.values(), ...listened.values()]) {
        if (entry.streamTimer) clearTimeout(entry.streamTimer);
      }
      subscriber.disconnect();
    },
  };
}

export type EventViews = ReturnType<typeof createEventViews>;
