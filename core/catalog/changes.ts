// Catalog changes made by admins, published on catalog.v1 (SPEC §6). They go through a
// Redis outbox stream like hold changes do, written inside the admin's Postgres
// transaction, so a change is published if and only if it was made (barring a failed
// commit right after, which at worst announces a change twice-checked by its version).
import { z } from 'zod';
import type { RedisClient } from '../../platform/redis.js';

export const CATALOG_CHANGE_TYPES = [
  'event.created',
  'event.updated',
  'event.rescheduled',
  'event.venue_changed',
  'event.cancelled',
  'event.deleted',
  'category.created',
  'category.updated',
] as const;

/** The changes every holder of the event is told about. */
export const HOLDER_NOTICES = new Set([
  'event.rescheduled',
  'event.venue_changed',
  'event.cancelled',
]);

export const CatalogChange = z.object({
  type: z.enum(CATALOG_CHANGE_TYPES),
  eventId: z.uuid(),
  categoryId: z.uuid().optional(),
  /** when the change was made, ISO 8601 */
  at: z.iso.datetime(),
  /** the changed fields, new values */
  changes: z.record(z.string(), z.unknown()),
});
export type CatalogChange = z.infer<typeof CatalogChange>;

/** What kind of change an event patch is, for the people holding its tickets. */
export function eventChangeType(
  before: { startsAt: Date; venue: string; status: string },
  after: { startsAt: Date; venue: string; status: string },
): CatalogChange['type'] {
  if (after.status === 'cancelled' && before.status !== 'cancelled') return 'event.cancelled';
  if (after.startsAt.getTime() !== before.startsAt.getTime()) return 'event.rescheduled';
  if (after.venue !== before.venue) return 'event.venue_changed';
  return 'event.updated';
}

export async function appendCatalogChange(
  redis: RedisClient,
  keys: { catalogOutbox: string },
  change: CatalogChange,
) {
  await redis.xadd(keys.catalogOutbox, '*', 'change', JSON.stringify(CatalogChange.parse(change)));
}
