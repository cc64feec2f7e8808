// What the catalog's operations (catalog.ts) take from an admin, and how they refuse it.
import type { EventStatus } from '../../drizzle/schema/index.js';
import type { SeatMapInput } from '../catalog/seat-map.js';

export type CatalogRefusalReason =
  | 'not_found'
  | 'invalid_transition'
  | 'ends_before_starts'
  | 'has_reservations'
  | 'name_taken'
  | 'invalid_seats'
  | 'unknown_seats'
  | 'seated_capacity'
  | 'not_seated';

/** A catalog operation refused before anything was written. */
export class CatalogRefusal extends Error {
  constructor(
    readonly reason: CatalogRefusalReason,
    message: string,
    readonly extra?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'CatalogRefusal';
  }
}

/** Who asks, for the audit log. */
export interface Actor {
  actorId: string | null;
  requestId?: string | null;
}

export interface EventInput {
  /** a fixed id (the seed's demo event); a new one otherwise */
  id?: string;
  name: string;
  description?: string;
  venue: string;
  startsAt: string;
  endsAt?: string | null;
  holdTtlSeconds?: number | null;
  perUserLimit?: number;
  status?: EventStatus;
  /** SPEC §7; replaces the event's settings as a whole (missing fields: the defaults) */
  waitingRoom?: { enabled: boolean; admitPerSecond?: number | null; passTtlSeconds?: number };
  /** SPEC §9; each replaces its setting as a whole */
  presale?: { enabled: boolean; endsAt?: string | null };
  botChallenge?: { enabled: boolean; difficulty?: number };
}
export type EventPatch = Partial<Omit<EventInput, 'id'>>;

export interface CategoryInput {
  /** a fixed id (the seed's demo categories); a new one otherwise */
  id?: string;
  name: string;
  priceCents: number;
  currency?: string;
  /** a category by count; a seated one's capacity is its number of seats */
  capacity?: number;
  perUserLimit?: number | null;
  /** a seated category (SPEC §8) */
  seatMap?: SeatMapInput;
  noSingleSeatGaps?: boolean;
}
export type CategoryPatch = Partial<
  Pick<CategoryInput, 'name' | 'priceCents' | 'capacity' | 'perUserLimit'>
>;
/** An admin's change to a seated category's blocked seats (SPEC §8). */
export interface SeatBlocks {
  block: string[];
  unblock: string[];
}
