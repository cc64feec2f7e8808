// The proof-of-work gate (SPEC §9): ALTCHA's v1 challenges, in ALTCHA's own format
// (altcha-lib/v1) so its widget and clients solve them as they are, made and checked here.
//
// A challenge is {algorithm: 'SHA-256', challenge, maxnumber, salt, signature}: `challenge`
// is the hex SHA-256 of `salt` followed by a secret number up to `maxnumber`, `signature`
// the hex HMAC-SHA256 of `challenge`. The salt carries `?expires=<s>&`, so the expiry is
// signed too. The HMAC key is the event's own, derived from the engine's signing secret
// (as the queue tickets' is): every api process checks what any other made, and a
// solution for one event is none for another.
//
// makeChallenge() and checkSolution() are the library's createChallenge and verifySolution
// done with node:crypto's synchronous hashes: the library's run WebCrypto, whose hashes
// wait for the thread pool and cost promises per call; under a drop's burst of challenge
// requests that wait was most of their latency (BENCHMARKS.md). Unit tests hold each to the
// library's result for the same inputs. A solution is good once: the replay guard
// is one `SET NX PX` under the event's hash tag, kept until the challenge expires.
import { createHash, createHmac, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import type { RedisClient } from '../../platform/redis.js';
import { derivedKey, type SigningSecretConfig } from '../auth/derived-keys.js';
import type { Keyspace } from '../reservations/keys.js';

export const CHALLENGE_TTL_MS = 5 * 60_000;
/** The longest Challenge-Solution header worth decoding (a solution is ~300 characters). */
export const MAX_SOLUTION_LENGTH = 1024;
/**
 * The replay guard outlives the challenge by this much: an api process whose clock runs
 * behind the one that made it still finds the guard while it deems the challenge good.
 */
const GUARD_MARGIN_MS = 60_000;

export interface Challenge {
  algorithm: 'SHA-256';
  challenge: string;
  maxnumber: number;
  salt: string;
  signature: string;
}

/** The engine's challenge key, from its signing secret (labelled apart from the others). */
export const challengeKey = (config: SigningSecretConfig): Buffer =>
  derivedKey('drop-engine bot challenge v1', config);

/** A solution that passed every check but the replay guard: what the guard is keyed by. */
export interface CheckedSolution {
  challenge: string;
  /** ms since the epoch */
  expiresAt: number;
}

const HEX64 = /^[0-9a-f]{64}$/;

/**
 * ALTCHA's createChallenge (v1, SHA-256) synchronously: a salt of 12 random bytes in hex
 * carrying the expiry (`?expires=<s>&`), a secret number in 1..maxnumber as the library
 * draws it, `challenge` = SHA-256(salt + number), `signature` = HMAC(challenge). `salt` and
 * `number` are for the tests that compare it with the library.
 */
export function makeChallenge(
  hmacKey: string,
  maxnumber: number,
  expiresAt: Date,
  given: { salt?: string; number?: number } = {},
): Challenge {
  const expires = Math.floor(expiresAt.getTime() / 1000);
  const salt = `${given.salt ?? randomBytes(12).toString('hex')}?expires=${expires}&`;
  const number = given.number ?? randomInt(1, maxnumber + 1);
  const challenge = createHash('sha256')
    .update(salt + number)
    .digest('hex');
  const signature = createHmac('sha256', hmacKey).update(challenge).digest('hex');
  return { algorithm: 'SHA-256', challenge, maxnumber, salt, signature };
}

/**
 * ALTCHA's verifySolution on a Base64 JSON payload, synchronously: the expiry in the salt
 * (required here: ours always carry one), SHA-256(salt + number) equal to `challenge`, and
 * `signature` the HMAC of `challenge` under `hmacKey`. null when anything fails.
 */
export function checkSolution(
  payload: string,
  hmacKey: string,
  now: number,
): CheckedSolution | null {
  if (payload.length > MAX_SOLUTION_LENGTH) return null;
  let solution: unknown;
  try {
    solution = JSON.parse(Buffer.from(payload, 'base64').toString('utf8'));
  } catch {
    return null;
  }
  if (typeof solution !== 'object' || solution === null) return null;
  const { algorithm, challenge, number, salt, signature } = solution as Record<string, unknown>;
  if (
    algorithm !== 'SHA-256' ||
    typeof challenge !== 'string' ||
    !HEX64.test(challenge) ||
    typeof signature !== 'string' ||
    !HEX64.test(signature) ||
    typeof salt !== 'string' ||
    !Number.isSafeInteger(number) ||
    (number as number) < 0
  )
    return null;
  const query = salt.indexOf('?');
  const expires = query < 0 ? null : new URLSearchParams(salt.slice(query + 1)).get('expires');
  const expiresAt = Number(expires) * 1000;
  if (!expires || !Number.isFinite(expiresAt) || expiresAt < now) return null;
  const hashed = createHash('sha256').update(`${salt}${number}`).digest('hex');
  const mac = createHmac('sha256', hmacKey).update(challenge).digest();
  if (hashed !== challenge || !timingSafeEqual(Buffer.from(signature, 'hex'), mac)) return null;
  return { challenge, expiresAt };
}

export function createChallenges(redis: RedisClient, keys: Keyspace, key: Buffer) {
  // Each event's HMAC key (a hex string, as ALTCHA's library takes it), made once.
  const eventKeys = new Map<string, string>();
  const hmacKeyOf = (eventId: string) => {
    let hmacKey = eventKeys.get(eventId);
    if (hmacKey === undefined) {
      if (eventKeys.size >= 10_000) eventKeys.clear();
      hmacKey = createHmac('sha256', key).update(eventId).digest('hex');
      eventKeys.set(eventId, hmacKey);
    }
    return hmacKey;
  };

  return {
    /** A new challenge for the event, good for CHALLENGE_TTL_MS. */
    create(eventId: string, maxnumber: number, now = Date.now()): Challenge {
      return makeChallenge(hmacKeyOf(eventId), maxnumber, new Date(now + CHALLENGE_TTL_MS));
    },

    /**
     * Whether the solution is good for the event, and is used now: the checks in memory,
     * then the replay guard (one Redis command) for a solution that passed them.
     */
    async use(eventId: string, payload: string, now = Date.now()): Promise<boolean> {
      const checked = checkSolution(payload, hmacKeyOf(eventId), now);
      if (!checked) return false;
      const guard = keys.event(eventId).challengeSolution(checked.challenge);
      const ttl = checked.expiresAt - now + GUARD_MARGIN_MS;
      return (await redis.set(guard, '1', 'PX', ttl, 'NX')) === 'OK';
    },
  };
}

export type Challenges = ReturnType<typeof createChallenges>;
