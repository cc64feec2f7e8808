// Availability as clients poll it during a drop: one Redis read (the availability script)
// serves every request for the same event that arrives while it is in flight, and is
// serialised and tagged once, not per request. A joining request gets an answer read at
// most one Redis round trip before it arrived, never older — unless AVAILABILITY_CACHE_MS
// allows a micro-cache on top. Reserving never reads this: the reserve script is the only
// judge of stock.
import { createHash } from 'node:crypto';
import type { Holds } from '../core/reservations/holds.js';
import { type Serialized, serialize } from './responses.js';

export interface AvailabilityBody {
  eventId: string;
  status: string;
  categories: { id: string; name: string; capacity: number; available: number }[];
  asOf: string;
}

export interface AvailabilitySnapshot {
  status: string;
  /** Strong ETag over what can change (status and stock), not over `asOf`. */
  etag: string;
  body: Serialized<AvailabilityBody>;
}

export function createAvailabilityReader(holds: Holds, cacheMs: number) {
  const inFlight = new Map<string, Promise<AvailabilitySnapshot | null>>();
  const recent = new Map<string, { at: number; snapshot: AvailabilitySnapshot | null }>();

  async function readSnapshot(eventId: string): Promise<AvailabilitySnapshot | null> {
    const live = await holds.availability(eventId);
    if (!live) return null;
    const categories = live.categories.map(({ id, name, capacity, available }) => ({
      id,
      name,
      capacity,
      available,
    }));
    const status = live.state.status;
    const etag = `"${createHash('sha1')
      .update(JSON.stringify([status, categories]))
      .digest('base64url')}"`;
    const asOf = new Date().toISOString();
    return { status, etag, body: serialize({ eventId, status, categories, asOf }) };
  }

  return function read(eventId: string): Promise<AvailabilitySnapshot | null> {
    if (cacheMs > 0) {
      const cached = recent.get(eventId);
      if (cached && Date.now() - cached.at < cacheMs) return Promise.resolve(cached.snapshot);
    }
    let pending = inFlight.get(eventId);
    if (!pending) {
      pending = readSnapshot(eventId).finally(() => inFlight.delete(eventId));
      inFlight.set(eventId, pending);
      if (cacheMs > 0) {
        pending.then(
          (snapshot) => {
            if (recent.size > 10_000) recent.clear();
            recent.set(eventId, { at: Date.now(), snapshot });
          },
          () => {},
        );
      }
    }
    return pending;
  };
}
