// Recognises failures that mean "a dependency is down or unreachable" (Redis, Postgres),
// so the api answers 503 dependency_unavailable with Retry-After, not 500: the request
// may succeed later, and the client should retry.

/** ioredis, with the offline queue off, fails fast with these. */
const REDIS_DOWN = [
  "Stream isn't writeable",
  'Connection is closed',
  'Reached the max retries per request limit',
  // Redis Cluster while a failover runs: the slot has no master yet, or the client's slot
  // map is being refreshed.
  "Cluster isn't ready",
  'Failed to refresh slots cache',
  'Too many Cluster redirections',
];
/**
 * Redis replies that mean "not now" (a failover, a node loading its data): the command did
 * not run. A MOVED reaches us only from a pipeline caught mid-failover (the client follows
 * it everywhere else); the client has its new slot map by the retry.
 */
const REDIS_NOT_NOW = /^(CLUSTERDOWN|TRYAGAIN|MASTERDOWN|LOADING|READONLY|NOREPLICAS|MOVED|ASK)\b/;
/** Socket-level failures (postgres.js and Node put them on `code`). */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'CONNECT_TIMEOUT',
  'CONNECTION_CLOSED',
  'CONNECTION_DESTROYED',
  'CONNECTION_ENDED',
]);

export function isDependencyDown(err: unknown): boolean {
  const e = err as { message?: unknown; code?: unknown; name?: unknown; cause?: unknown } | null;
  if (!e || typeof e !== 'object') return false;
  if (e.name === 'MaxRetriesPerRequestError') return true;
  if (typeof e.message === 'string') {
    if (REDIS_DOWN.some((m) => (e.message as string).includes(m))) return true;
    if (REDIS_NOT_NOW.test(e.message)) return true;
  }
  if (typeof e.code === 'string' && (NETWORK_CODES.has(e.code) || e.code.startsWith('57P'))) {
    return true;
  }
  // drizzle wraps driver errors: look one level down.
  return e.cause !== undefined && e.cause !== err && isDependencyDown(e.cause);
}
