// Availability as clients poll it during a drop: served from the event's view in memory
// (event-views.ts), serialised and tagged once per view, not per request. After a change is
// pushed the next poll waits for one fresh read, which every poll meanwhile shares; with
// nothing pushed, a poll costs Redis nothing. A reserve may be refused from the same view
// (sold out), never accepted: the reserve script is the only judge of an accepted hold.
import { createHash } from 'node:crypto';
import type { EventView } from '../core/reservations/event-stock.js';
import type { EventViews } from './event-views.js';
import { notModified, type Serialized, serialize } from './responses.js';

export interface AvailabilityBody {
  eventId: string;
  status: string;
  categories: {
    id: string;
    name: string;
    capacity: number;
    available: number;
    /** seated categories: the seat version, so a seat map on screen knows to read again */
    seatsVersion?: number;
  }[];
  asOf: string;
}

export interface AvailabilitySnapshot {
  status: string;
  /** Strong ETag over what can change (status and stock), not over `asOf`. */
  etag: string;
  body: Serialized<AvailabilityBody>;
}

const snapshots = new WeakMap<EventView, AvailabilitySnapshot>();

/** The availability document of a view, made once per view read. */
export function availabilityOf(eventId: string, view: EventView): AvailabilitySnapshot {
  let snapshot = snapshots.get(view);
  if (snapshot) return snapshot;
  const categories = view.categories.map(({ id, name, capacity, available, seatsVersion }) =>
    seatsVersion === undefined
      ? { id, name, capacity, available }
      : { id, name, capacity, available, seatsVersion },
  );
  const status = view.state.status;
  const etag = `"${createHash('sha1')
    .update(JSON.stringify([status, categories]))
    .digest('base64url')}"`;
  const asOf = new Date(view.at).toISOString();
  snapshot = { status, etag, body: serialize({ eventId, status, categories, asOf }) };
  snapshots.set(view, snapshot);
  return snapshot;
}

export function createAvailabilityReader(views: EventViews) {
  return async function read(eventId: string): Promise<AvailabilitySnapshot | null> {
    const view = await views.current(eventId, { clean: 'stock' });
    return view && availabilityOf(eventId, view);
  };
}

/** What a poll of availability is answered, the same in the app and in the crowd lane. */
export function availabilityAnswer(
  snapshot: AvailabilitySnapshot,
  ifNoneMatch: string | undefined,
) {
  const headers = { ETag: snapshot.etag, 'Cache-Control': 'no-cache' };
  return notModified(ifNoneMatch, snapshot.etag)
    ? { status: 304 as const, headers }
    : { status: 200 as const, headers, body: snapshot.body };
}
