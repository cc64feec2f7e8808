// Accounts in Postgres: create, look up, and the admin ensured at start-up.
import { and, eq, isNull, sql } from 'drizzle-orm';
import { refreshTokens, type UserRole, users } from '../../drizzle/schema/index.js';
import type { Db } from '../../platform/db/client.js';
import { isUniqueViolation } from '../../platform/db/errors.js';
import { normaliseEmail, type Passwords } from './passwords.js';

export type User = typeof users.$inferSelect;

/** The new user, or null when the email is taken. */
export async function createUser(
  db: Db,
  input: { email: string; passwordHash: string; role?: UserRole },
): Promise<User | null> {
  try {
    const [user] = await db
      .insert(users)
      .values({
        email: normaliseEmail(input.email),
        passwordHash: input.passwordHash,
        role: input.role,
      })
      .returning();
    return user ?? null;
  } catch (err) {
    if (isUniqueViolation(err)) return null;
    throw err;
  }
}

export async function findUserByEmail(db: Db, email: string): Promise<User | undefined> {
  const [user] = await db
    .select()
    .from(users)
    .where(eq(users.email, normaliseEmail(email)));
  return user;
}

export async function findUserById(db: Db, id: string): Promise<User | undefined> {
  const [user] = await db.select().from(users).where(eq(users.id, id));
  return user;
}

/**
 * Disables an account: it can no longer sign in or refresh, and every refresh token it
 * holds is revoked, in one transaction (`tx`: the caller's, to audit in the same one).
 * Idempotent: disabling twice keeps the first time. Undefined for an unknown id.
 * Its access tokens are voided by the caller through the revocations (revocations.ts).
 */
export async function disableUser(tx: Pick<Db, 'update'>, id: string): Promise<User | undefined> {
  const [user] = await tx
    .update(users)
    .set({ disabledAt: sql`coalesce(${users.disabledAt}, now())`, updatedAt: new Date() })
    .where(eq(users.id, id))
    .returning();
  if (!user) return undefined;
  await tx
    .update(refreshTokens)
    .set({ revokedAt: sql`now()` })
    .where(and(eq(refreshTokens.userId, id), isNull(refreshTokens.revokedAt)));
  return user;
}

/**
 * Makes sure ADMIN_EMAIL exists, is an admin and signs in with ADMIN_PASSWORD. Safe when
 * several api instances start at once: the insert is a no-op for all but one.
 */
export async function ensureAdmin(
  db: Db,
  passwords: Passwords,
  email: string,
  password: string,
): Promise<User> {
  const existing = await findUserByEmail(db, email);
  if (!existing) {
    const created = await createUser(db, {
      email,
      passwordHash: await passwords.hash(password),
      role: 'admin',
    });
    if (created) return created;
  }
  const user = existing ?? (await findUserByEmail(db, email));
  if (!user) throw new Error(`admin ${email} could not be created`);
  const passwordOk = await passwords.verify(password, user.passwordHash);
  if (user.role === 'admin' && passwordOk) return user;
  const [updated] = await db
    .update(users)
    .set({
      role: 'admin',
      passwordHash: passwordOk ? user.passwordHash : await passwords.hash(password),
      updatedAt: new Date(),
    })
    .where(eq(users.id, user.id))
    .returning();
  return updated ?? user;
}
