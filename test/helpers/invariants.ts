// The SPEC §3 invariant checks (core/reservations/invariants.ts) on the suite's namespace.
import type { Redis } from 'ioredis';
import * as invariants from '../../core/reservations/invariants.js';
import { REDIS_KEY_PREFIX } from './services.js';

export const holdsOf = (redis: Redis, eventId: string, prefix = REDIS_KEY_PREFIX) =>
  invariants.holdsOf(redis, eventId, prefix);
export const checkInvariants = (redis: Redis, eventId: string, prefix = REDIS_KEY_PREFIX) =>
  invariants.checkInvariants(redis, eventId, prefix);
export const snapshot = (redis: Redis, eventId: string, prefix = REDIS_KEY_PREFIX) =>
  invariants.snapshot(redis, eventId, prefix);
