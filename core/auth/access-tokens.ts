// JWT access tokens (jose). The key is imported once at start-up, not per call (what jose
// does with a raw Uint8Array secret). Verified tokens are cached until they expire, so a hot
// client pays for one signature check, not one per request. A revoked token (a disabled
// account, a revoked session family: revocations.ts) is refused from the same cache by an
// in-process check, without a Redis round trip.
import { randomUUID } from 'node:crypto';
import { type CryptoKey, importPKCS8, importSPKI, type JWTPayload, jwtVerify, SignJWT } from 'jose';
import { LRUCache } from 'lru-cache';
import type { Config } from '../../platform/config.js';
import type { RevocationCheck } from './revocations.js';

export type Role = 'user' | 'admin';
export interface Principal {
  userId: string;
  role: Role;
}

export interface AccessTokens {
  readonly ttlSeconds: number;
  /** `family`: the refresh-token family the token belongs to (claim `fam`), if any. */
  sign(principal: Principal, family?: string): Promise<string>;
  /** The principal of a valid token, or null for anything else (bad, expired, alg:none...). */
  verify(token: string): Promise<Principal | null>;
  /** The principal of a token verified before, not expired nor revoked, without waiting. */
  known(token: string): Principal | undefined;
}

export type TokenConfig = Pick<
  Config,
  | 'JWT_ALGORITHM'
  | 'JWT_SECRET'
  | 'JWT_PRIVATE_KEY'
  | 'JWT_PUBLIC_KEY'
  | 'JWT_ISSUER'
  | 'JWT_AUDIENCE'
  | 'ACCESS_TOKEN_TTL_SECONDS'
>;

export async function importKeys(
  config: TokenConfig,
): Promise<{ signKey: CryptoKey; verifyKey: CryptoKey }> {
  if (config.JWT_ALGORITHM === 'HS256') {
    const key = await crypto.subtle.importKey(
      'raw',
      new TextEncoder().encode(config.JWT_SECRET),
      { name: 'HMAC', hash: 'SHA-256' },
      false,
      ['sign', 'verify'],
    );
    return { signKey: key, verifyKey: key };
  }
  return {
    signKey: await importPKCS8(config.JWT_PRIVATE_KEY ?? '', config.JWT_ALGORITHM),
    verifyKey: await importSPKI(config.JWT_PUBLIC_KEY ?? '', config.JWT_ALGORITHM),
  };
}

const isRole = (v: unknown): v is Role => v === 'user' || v === 'admin';

/** A verified token as the cache keeps it: who, and what a revocation is checked against. */
interface Verified {
  principal: Principal;
  issuedAt: number;
  family: string | undefined;
}

const NOTHING_REVOKED: RevocationCheck = { isRevoked: () => false };

export async function createAccessTokens(
  config: TokenConfig,
  options: { cacheSize?: number; revocations?: RevocationCheck } = {},
): Promise<AccessTokens> {
  const { signKey, verifyKey } = await importKeys(config);
  const alg = config.JWT_ALGORITHM;
  const verified = new LRUCache<string, Verified>({
    max: options.cacheSize ?? 50_000,
    ttlAutopurge: false,
  });
  const revocations = options.revocations ?? NOTHING_REVOKED;
  const valid = (v: Verified) => !revocations.isRevoked(v.principal.userId, v.issuedAt, v.family);

  return {
    ttlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,

    sign: ({ userId, role }, family) =>
      new SignJWT(family ? { role, fam: family } : { role })
        .setProtectedHeader({ alg, typ: 'JWT' })
        .setIssuer(config.JWT_ISSUER)
        .setAudience(config.JWT_AUDIENCE)
        .setSubject(userId)
        .setIssuedAt()
        .setExpirationTime(`${config.ACCESS_TOKEN_TTL_SECONDS}s`)
        .setJti(randomUUID())
        .sign(signKey),

    known(token) {
      const hit = verified.get(token);
      return hit && valid(hit) ? hit.principal : undefined;
    },

    async verify(token) {
      const hit = verified.get(token);
      if (hit) return valid(hit) ? hit.principal : null;
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, verifyKey, {
          algorithms: [alg],
          issuer: config.JWT_ISSUER,
          audience: config.JWT_AUDIENCE,
          requiredClaims: ['sub', 'exp', 'iat', 'jti'],
        }));
      } catch {
        return null;
      }
      if (
        !payload.sub ||
        !isRole(payload.role) ||
        typeof payload.exp !== 'number' ||
        typeof payload.iat !== 'number' ||
        (payload.fam !== undefined && typeof payload.fam !== 'string')
      ) {
        return null;
      }
      const entry: Verified = {
        principal: { userId: payload.sub, role: payload.role },
        issuedAt: payload.iat,
        family: payload.fam,
      };
      // Kept only while the token is valid; the cache never outlives `exp`.
      const ttl = payload.exp * 1000 - Date.now();
      if (ttl > 0) verified.set(token, entry, { ttl });
      return valid(entry) ? entry.principal : null;
    },
  };
}
