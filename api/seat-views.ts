// A seated category's status document (SPEC §8) as a crowd polls it: kept in memory per
// category, serialised and tagged once per seat version. Whether the copy is current is
// told by the event's view (event-views.ts), which every seat change makes this process
// read again (the change is pushed on the event's shard channel) and which carries each
// seated category's seat version: a poll reads Redis only when that version moved, and
// every poll meanwhile shares the one read. So the status of a 60,000-seat map costs Redis
// one read per change per process, not one per poll.
import type { SeatLayout } from '../core/catalog/seat-map.js';
import { seatStatusDocument } from '../core/catalog/seat-map.js';
import type { Holds } from '../core/reservations/holds.js';
import type { EventViews } from './event-views.js';
import { type Serialized, serialize } from './responses.js';

export interface SeatStatusSnapshot {
  version: number;
  /** names the version: what the document says, nothing else */
  etag: string;
  body: Serialized<ReturnType<typeof seatStatusDocument>>;
  /** the body's length in bytes, counted once (a stadium's is tens of kilobytes) */
  bytes: number;
}

interface Entry {
  eventId: string;
  snapshot: SeatStatusSnapshot | undefined;
  reading: Promise<SeatStatusSnapshot | null> | undefined;
}

/** Categories whose documents are kept: a stadium's map is tens of kilobytes. */
const MAX_KEPT = 200;

export const seatStatusEtag = (categoryId: string, version: number) => `"${categoryId}.${version}"`;

export function createSeatViews(deps: {
  views: Pick<EventViews, 'current' | 'fresh'>;
  holds: Pick<Holds, 'seatStatus'>;
}) {
  const entries = new Map<string, Entry>();

  function entryOf(eventId: string, categoryId: string): Entry {
    let entry = entries.get(categoryId);
    if (entry?.eventId !== eventId) {
      if (entries.size >= MAX_KEPT) entries.clear();
      entry = { eventId, snapshot: undefined, reading: undefined };
      entries.set(categoryId, entry);
    }
    return entry;
  }

  /** One read in flight per category; it sends no seats when the version is the one kept. */
  function read(entry: Entry, categoryId: string, layout: SeatLayout) {
    if (entry.reading) return entry.reading;
    const kept = entry.snapshot;
    entry.reading = deps.holds.seatStatus(entry.eventId, categoryId, kept?.version).then(
      (seats) => {
        entry.reading = undefined;
        if (!seats) return null;
        if (seats.state === undefined) return kept ?? null;
        const body = serialize(seatStatusDocument(layout, seats.version, seats.state));
        entry.snapshot = {
          version: seats.version,
          etag: seatStatusEtag(categoryId, seats.version),
          body,
          bytes: Buffer.byteLength(body),
        };
        return entry.snapshot;
      },
      (err: unknown) => {
        entry.reading = undefined;
        throw err;
      },
    );
    return entry.reading;
  }

  return {
    /**
     * The status document if it may be answered now without a read: the event's view is
     * fresh and not a draft's (an admin's to see), and the document kept is of the seat
     * version the view names. undefined: the app answers (it reads, or refuses).
     */
    fresh(eventId: string, categoryId: string): SeatStatusSnapshot | undefined {
      const view = deps.views.fresh(eventId, { clean: 'stock' });
      if (!view || view.state.status === 'draft') return undefined;
      const seen = view.categories.find((c) => c.id === categoryId)?.seatsVersion;
      const entry = entries.get(categoryId);
      const kept = entry?.eventId === eventId ? entry.snapshot : undefined;
      return seen !== undefined && kept && kept.version >= seen ? kept : undefined;
    },

    /**
     * The category's seat status, no older than the event's view (SPEC §7: at most 250 ms,
     * read again after every change pushed); null when the event or the seated category
     * is not in Redis.
     */
    async current(
      eventId: string,
      categoryId: string,
      layout: SeatLayout,
    ): Promise<SeatStatusSnapshot | null> {
      const view = await deps.views.current(eventId, { clean: 'stock' });
      const seen = view?.categories.find((c) => c.id === categoryId)?.seatsVersion;
      if (seen === undefined) return null;
      const entry = entryOf(eventId, categoryId);
      const kept = entry.snapshot;
      if (kept && kept.version >= seen) return kept;
      return read(entry, categoryId, layout);
    },
  };
}

export type SeatViews = ReturnType<typeof createSeatViews>;
