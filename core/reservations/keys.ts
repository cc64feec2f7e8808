// Redis key names: the one place they are built. Every key of an event carries its hash
// tag {ev:<eventId>}, so all keys one script touches live in one slot and the engine runs
// unchanged on Redis Cluster. Ids are validated UUIDs before they get here.

function buildEventKeys(eventId: string, prefix: string) {
  // The prefix goes before the hash tag: the tag alone decides the slot.
  const tag = `${prefix}{ev:${eventId}}`;
  return {
    /**
     * What every key of the event starts with: scripts name the hashes of a hold's category
     * and user from it (same tag, so the same slot) when the caller cannot know them.
     */
    base: `${tag}:`,
    /** hash: status, holdTtl, perUserLimit */
    event: `${tag}:event`,
    /** set of the event's category ids */
    categories: `${tag}:cats`,
    /**
     * hash: id, name, capacity, held, confirmed, perUserLimit; a seated category's also
     * seated, seats, blocked, rows, noGaps, seatVersion (lua/setSeatMap-5.lua)
     */
    category: (categoryId: string) => `${tag}:cat:${categoryId}`,
    /** string: a seated category's seats, one status byte each in map order (SPEC §8) */
    seats: (categoryId: string) => `${tag}:seats:${categoryId}`,
    /**
     * string: a seated category's available seats per row (u16 each), kept by the scripts
     * beside `seats` and named from it (lua/includes/freeSeats.lua)
     */
    seatFree: (categoryId: string) => `${tag}:seats:${categoryId}:free`,
    /** hash: a seated category's seat id → '<position in `seats`>:<row>' (seatRows.lua) */
    seatPositions: (categoryId: string) => `${tag}:seatpos:${categoryId}`,
    /** hash: a seated category's position in `seats` → seat id */
    seatIds: (categoryId: string) => `${tag}:seatid:${categoryId}`,
    /** what every hold key starts with (a replayed seated reserve names its hold from it) */
    holdPrefix: `${tag}:hold:`,
    /** what every category key starts with (the availability script names them from the set) */
    categoryPrefix: `${tag}:cat:`,
    /** hash: total, c:<categoryId> — what one user holds + bought in this event */
    user: (userId: string) => `${tag}:user:${userId}`,
    /** hash: the hold's fields */
    hold: (holdId: string) => `${tag}:hold:${holdId}`,
    /** zset: live holds by expiresAt (ms) */
    expiry: `${tag}:expiry`,
    /** stream: every hold change, relayed to Kafka */
    outbox: `${tag}:outbox`,
    /** string: which relay publishes this outbox now (one at a time keeps the order) */
    outboxLease: `${tag}:outbox:lease`,
    /** string: which verifier checks this event after a Redis boot (one at a time) */
    rebuildLease: `${tag}:rebuild:lease`,
    /**
     * zset: the waiting room's queue, user → place (random below 2^52 for the pre-queue, so
     * it is a uniform shuffle; 2^52 + arrival number after the open, so later ones are FIFO)
     */
    queue: `${tag}:queue`,
    /** hash: user → when they joined (ms); everyone who ever joined the waiting room */
    queueJoined: `${tag}:queue:joined`,
    /** zset: admitted user → when their queue pass expires (ms) */
    queueAdmitted: `${tag}:queue:admitted`,
    /** hash: the admission's state: clock, admittedTotal, soldOut, arrivals... */
    queueState: `${tag}:queue:state`,
    /** string: a proof-of-work solution used (SPEC §9), kept until its challenge expires */
    challengeSolution: (challenge: string) => `${tag}:pow:${challenge}`,
    /** string: an Idempotency-Key's record for this user in this event */
    idempotency: (userId: string, key: string) => `${tag}:idem:${userId}:${key}`,
  };
}

export type EventKeys = ReturnType<typeof buildEventKeys>;

// A drop works on a handful of events at a time: their key sets are built once, not a dozen
// strings and closures per request.
const built = new Map<string, EventKeys>();

export function eventKeys(eventId: string, prefix = ''): EventKeys {
  const id = prefix ? `${prefix}\n${eventId}` : eventId;
  let keys = built.get(id);
  if (keys === undefined) {
    if (built.size >= 10_000) built.clear();
    keys = buildEventKeys(eventId, prefix);
    built.set(id, keys);
  }
  return keys;
}

/**
 * Every key of one engine: a prefix (REDIS_KEY_PREFIX, empty by default) lets several
 * engines, or test files, share one Redis without seeing each other's data.
 */
export function keyspace(prefix = '') {
  return {
    prefix,
    event: (eventId: string) => eventKeys(eventId, prefix),
    /** A user's Idempotency-Key across all events: catches one key reused for another event. */
    userIdempotency: (userId: string, key: string) => `${prefix}idem:${userId}:${key}`,
    /** Events with stock in Redis: where the reaper and the relay look. */
    liveEvents: `${prefix}events:live`,
    /** Events whose waiting room is enabled: where the reaper's admission looks. */
    queuedEvents: `${prefix}events:queued`,
    /** stream: admin changes to the catalog, relayed to catalog.v1 */
    catalogOutbox: `${prefix}catalog:outbox`,
    catalogOutboxLease: `${prefix}catalog:outbox:lease`,
  };
}

export type Keyspace = ReturnType<typeof keyspace>;
