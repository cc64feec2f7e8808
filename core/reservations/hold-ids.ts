// Hold (reservation) ids. SPEC §2 makes them opaque strings, so an id carries the event it
// belongs to: every later call derives the event's keys (and so its Redis Cluster slot)
// from the id alone, with no lookup and no second round trip. The rest is 120 random bits,
// so an id cannot be guessed from another one.
//
//   <eventId as 22 base64url characters><120 random bits as 20 base64url characters>
import { randomFillSync } from 'node:crypto';

const EVENT_PART = 22;
const RANDOM_BYTES = 15;
export const HOLD_ID_LENGTH = EVENT_PART + (RANDOM_BYTES / 3) * 4;
/** What a hold id looks like (URL-safe, fixed length): checked before any Redis call. */
export const HOLD_ID_PATTERN = new RegExp(`^[A-Za-z0-9_-]{${HOLD_ID_LENGTH}}$`);

// Random bytes are drawn from the kernel a pool at a time: one crypto call per 256 ids
// instead of one per id.
const pool = Buffer.allocUnsafe(RANDOM_BYTES * 256);
let used = pool.length;

function randomPart(): string {
  if (used === pool.length) {
    randomFillSync(pool);
    used = 0;
  }
  const part = pool.toString('base64url', used, used + RANDOM_BYTES);
  used += RANDOM_BYTES;
  return part;
}

function uuidBytes(uuid: string): Buffer {
  return Buffer.from(uuid.replaceAll('-', ''), 'hex');
}

function uuidOf(bytes: Buffer): string {
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

// A drop reserves in a handful of events at a time: their encoded part is kept.
const eventParts = new Map<string, string>();

/** A new hold id for a hold of this event (a UUID). */
export function newHoldId(eventId: string): string {
  let eventPart = eventParts.get(eventId);
  if (eventPart === undefined) {
    if (eventParts.size >= 10_000) eventParts.clear();
    eventPart = uuidBytes(eventId).toString('base64url');
    eventParts.set(eventId, eventPart);
  }
  return eventPart + randomPart();
}

/** The event a hold id belongs to, or null when the string is not a hold id. */
export function eventOfHoldId(holdId: string): string | null {
  if (!HOLD_ID_PATTERN.test(holdId)) return null;
  const bytes = Buffer.from(holdId.slice(0, EVENT_PART), 'base64url');
  // Only the canonical encoding: one event, one spelling (no aliases for the same slot).
  if (bytes.length !== 16 || bytes.toString('base64url') !== holdId.slice(0, EVENT_PART))
    return null;
  return uuidOf(bytes);
}
