// The SPEC §3 invariant checks (core/reservations/invariants.ts) on the suite's namespace.

import * as invariants from '../../core/reservations/invariants.js';
import type { RedisClient } from '../../platform/redis.js';
import { REDIS_KEY_PREFIX } from './services.js';

export const holdsOf = (redis: RedisClient, eventId: string, prefix = REDIS_KEY_PREFIX) =>
  invariants.holdsOf(redis, eventId, prefix);
export const checkInvariants = (redis: RedisClient, eventId: string, prefix = REDIS_KEY_PREFIX) =>
  invariants.checkInvariants(redis, eventId, prefix);
export const snapshot = (redis: RedisClient, eventId: string, prefix = REDIS_KEY_PREFIX) =>
  invariants.snapshot(redis, eventId, prefix);
