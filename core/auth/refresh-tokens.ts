// Opaque refresh tokens: random, stored only as a SHA-256 hash, grouped in families.
// Each refresh rotates the token; presenting an already-rotated token is treated as
// theft and revokes its whole family (OAuth 2.0 Security BCP, refresh token rotation).
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { and, eq, gt, isNull, sql } from 'drizzle-orm';
import { refreshTokens, users } from '../../drizzle/schema/index.js';
import type { Db } from '../../platform/db/client.js';
import type { Principal } from './access-tokens.js';

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

export type RotateResult =
  | { outcome: 'rotated'; principal: Principal; refreshToken: string; familyId: string }
  | { outcome: 'reused'; userId: string; familyId: string }
  | { outcome: 'invalid' };

export function createRefreshTokens(db: Db, ttlSeconds: number) {
  async function issue(userId: string, familyId: string = randomUUID(), tx: Db = db) {
    const token = randomBytes(32).toString('base64url');
    await tx.insert(refreshTokens).values({
      userId,
      familyId,
      tokenHash: hashToken(token),
      expiresAt: new Date(Date.now() + ttlSeconds * 1000),
    });
    return token;
  }

  /**
   * Exchanges a refresh token for a new one of the same family. The conditional UPDATE
   * takes the row lock, so of many concurrent calls with one token exactly one rotates;
   * the others see it rotated and count as reuse.
   */
  async function rotate(token: string): Promise<RotateResult> {
    const tokenHash = hashToken(token);
    const rotated = await db.transaction(async (tx) => {
      const [row] = await tx
        .update(refreshTokens)
        .set({ rotatedAt: sql`now()` })
        .where(
          and(
            eq(refreshTokens.tokenHash, tokenHash),
            isNull(refreshTokens.rotatedAt),
            isNull(refreshTokens.revokedAt),
            gt(refreshTokens.expiresAt, sql`now()`),
          ),
        )
        .returning({ userId: refreshTokens.userId, familyId: refreshTokens.familyId });
      if (!row) return null;
      const [user] = await tx
        .select({ role: users.role, disabledAt: users.disabledAt })
        .from(users)
        .where(eq(users.id, row.userId));
      // A disabled account refreshes nothing (the UPDATE above rolls back with the rest).
      if (!user || user.disabledAt) return null;
      const refreshToken = await issue(row.userId, row.familyId, tx as unknown as Db);
      return {
        principal: { userId: row.userId, role: user.role },
        refreshToken,
        familyId: row.familyId,
      };
    });
    if (rotated) return { outcome: 'rotated', ...rotated };

    const [known] = await db
      .select({
        userId: refreshTokens.userId,
        familyId: refreshTokens.familyId,
        rotatedAt: refreshTokens.rotatedAt,
      })
      .from(refreshTokens)
      .where(eq(refreshTokens.tokenHash, tokenHash));
    if (!known?.rotatedAt) return { outcome: 'invalid' };
    await revokeFamily(known.familyId);
    return { outcome: 'reused', userId: known.userId, familyId: known.familyId };
  }

  async function revokeFamily(familyId: string) {
    await db
      .update(refreshTokens)
      .set({ revokedAt: sql`now()` })
      .where(and(eq(refreshTokens.familyId, familyId), isNull(refreshTokens.revokedAt)));
  }

  /**
   * Revokes one token (logout); unknown or already revoked tokens are fine. The family of
   * a token revoked now, so its access tokens can be voided too.
   */
  async function revoke(token: string): Promise<string | undefined> {
    const [row] = await db
      .update(refreshTokens)
      .set({ revokedAt: sql`now()` })
      .where(and(eq(refreshTokens.tokenHash, hashToken(token)), isNull(refreshTokens.revokedAt)))
      .returning({ familyId: refreshTokens.familyId });
    return row?.familyId;
  }

  return { issue, rotate, revoke };
}

export type RefreshTokens = ReturnType<typeof createRefreshTokens>;
