// Redis key names: the one place they are built. Every key of an event carries its hash
// tag {ev:<eventId>}, so all keys one script touches live in one slot and the engine runs
// unchanged on Redis Cluster. Ids are validated UUIDs before they get here.

export function eventKeys(eventId: string) {
  const tag = `{ev:${eventId}}`;
  return {
    /** hash: status, holdTtl, perUserLimit */
    event: `${tag}:event`,
    /** set of the event's category ids */
    categories: `${tag}:cats`,
    /** hash: id, name, capacity, held, confirmed, perUserLimit */
    category: (categoryId: string) => `${tag}:cat:${categoryId}`,
    /** hash: total, c:<categoryId> — what one user holds + bought in this event */
    user: (userId: string) => `${tag}:user:${userId}`,
    /** hash: the hold's fields */
    hold: (holdId: string) => `${tag}:hold:${holdId}`,
    /** zset: live holds by expiresAt (ms) */
    expiry: `${tag}:expiry`,
    /** stream: every hold change, relayed to Kafka */
    outbox: `${tag}:outbox`,
    /** string: an Idempotency-Key's record for this user in this event */
    idempotency: (userId: string, key: string) => `${tag}:idem:${userId}:${key}`,
  };
}

export type EventKeys = ReturnType<typeof eventKeys>;

/** Which event a hold belongs to (holds are addressed by id alone in the API). */
export const holdEventKey = (holdId: string) => `hold-event:${holdId}`;

/** A user's Idempotency-Key across all events: catches one key reused for another event. */
export const userIdempotencyKey = (userId: string, key: string) => `idem:${userId}:${key}`;

/** Events with stock in Redis: where the reaper looks for due holds. */
export const LIVE_EVENTS = 'events:live';
