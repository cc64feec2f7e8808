// Queue passes (SPEC §7): what a user admitted from an event's waiting room shows to
// reserve. A JWT signed with the access tokens' key (access-tokens.ts), bound to the user
// and the event and expiring with the admission; its audience is the access tokens' plus
// ":queue-pass", so neither kind of token is accepted as the other.
//
// A pass is a function of (user, event, expiry): signing it again gives the same string,
// so the ticket's ETag holds still between polls and nothing about it needs storing. Its
// id, recorded with the reservation, is derived the same way.
import { createHash } from 'node:crypto';
import { jwtVerify, SignJWT } from 'jose';
import { LRUCache } from 'lru-cache';
import { importKeys, type TokenConfig } from '../auth/access-tokens.js';

export interface QueuePass {
  userId: string;
  eventId: string;
  /** ms since the epoch */
  expiresAt: number;
  /** short, stable id of the pass (base64url) */
  id: string;
}

const passId = (userId: string, eventId: string, expiresAt: number) =>
  createHash('sha256').update(`${userId}|${eventId}|${expiresAt}`).digest('base64url').slice(0, 22);

export async function createQueuePasses(config: TokenConfig) {
  const { signKey, verifyKey } = await importKeys(config);
  const alg = config.JWT_ALGORITHM;
  const audience = `${config.JWT_AUDIENCE}:queue-pass`;
  // A fan reserves a few times with one pass: one signature check each.
  const verified = new LRUCache<string, QueuePass>({ max: 50_000 });
  // An admitted fan polls their ticket until they reserve: the pass is signed once.
  const signed = new LRUCache<string, string>({ max: 50_000 });

  return {
    async sign(userId: string, eventId: string, expiresAt: number): Promise<string> {
      const key = `${userId}|${eventId}|${expiresAt}`;
      const known = signed.get(key);
      if (known) return known;
      const exp = Math.floor(expiresAt / 1000);
      const token = await new SignJWT({ evt: eventId, pxa: expiresAt })
        .setProtectedHeader({ alg, typ: 'JWT' })
        .setIssuer(config.JWT_ISSUER)
        .setAudience(audience)
        .setSubject(userId)
        .setExpirationTime(exp)
        .setJti(passId(userId, eventId, expiresAt))
        .sign(signKey);
      signed.set(key, token, { ttl: Math.max(1, expiresAt - Date.now()) });
      return token;
    },

    /** The pass, when the token is a valid, unexpired pass; null otherwise. */
    async verify(token: string): Promise<QueuePass | null> {
      const hit = verified.get(token);
      if (hit) return hit.expiresAt > Date.now() ? hit : null;
      try {
        const { payload } = await jwtVerify(token, verifyKey, {
          algorithms: [alg],
          issuer: config.JWT_ISSUER,
          audience,
          requiredClaims: ['sub', 'exp', 'jti'],
        });
        const { sub, evt, pxa, jti } = payload;
        if (typeof sub !== 'string' || typeof evt !== 'string' || typeof pxa !== 'number')
          return null;
        if (typeof jti !== 'string' || jti !== passId(sub, evt, pxa) || pxa <= Date.now())
          return null;
        const pass: QueuePass = { userId: sub, eventId: evt, expiresAt: pxa, id: jti };
        verified.set(token, pass, { ttl: pxa - Date.now() });
        return pass;
      } catch {
        return null;
      }
    },
  };
}

export type QueuePasses = Awaited<ReturnType<typeof createQueuePasses>>;
