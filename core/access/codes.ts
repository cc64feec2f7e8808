// Presale access codes (SPEC §9). An admin issues them in bulk and sees them once; the
// record keeps only a hash of each. A code binds to the first account that uses it: the
// binding is one conditional UPDATE in Postgres (a row lock decides a race: exactly one
// account wins), made once and never changed, so each api process remembers it.
//
// Why Postgres and not Redis: codes are handed to fans days before the drop and must outlive
// a Redis that lost its data (the verifier rebuilds stock from the record, and would have
// nothing to rebuild codes from); the admin's counts are two aggregates of one index; and
// a code is checked once per fan and waiting room join, not per request of a crowd.
//
// Why a plain SHA-256 and not a keyed hash: a code is 100 random bits, so a stolen table
// gives nothing to guess from, and no secret's rotation can void codes already handed out.
// The event id is hashed in: a code of one event is no code of another.
import { createHash, randomBytes } from 'node:crypto';
import { and, count, eq, isNull, or, sql } from 'drizzle-orm';
import { LRUCache } from 'lru-cache';
import { accessCodes } from '../../drizzle/schema/index.js';
import type { Db } from '../../platform/db/client.js';
import { recordAudit } from '../audit.js';
import { findEvent } from '../catalog/events.js';

/** Crockford's base32: no I, L, O or U, so a code read aloud or typed is not misread. */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const CODE_CHARS = 20;
const CODE = /^[0-9A-HJKMNP-TV-Z]{20}$/;
export const MAX_CODES_PER_ISSUE = 100_000;
/** The longest Access-Code header worth reading (a code with dashes and spaces). */
export const MAX_ACCESS_CODE_LENGTH = 64;

/** A new code: 20 characters, 5 random bits each, shown in groups of five. */
export function newAccessCode(): string {
  const bytes = randomBytes(CODE_CHARS);
  let code = '';
  for (let i = 0; i < CODE_CHARS; i++) {
    if (i > 0 && i % 5 === 0) code += '-';
    code += ALPHABET[(bytes[i] as number) & 31];
  }
  return code;
}

/**
 * A code as typed, in its one spelling (upper case, no dashes or spaces, I and L read as 1,
 * O as 0); null when it cannot be a code of ours.
 */
export function normalizeAccessCode(text: string): string | null {
  if (text.length > MAX_ACCESS_CODE_LENGTH) return null;
  const code = text.toUpperCase().replace(/[\s-]/g, '').replace(/[IL]/g, '1').replace(/O/g, '0');
  return CODE.test(code) ? code : null;
}

/** What the record keeps of a code: SHA-256 over the event id and the normalised code. */
export const accessCodeHash = (eventId: string, code: string): Buffer =>
  createHash('sha256').update(`${eventId}\n${code}`).digest();

/** Who issues, for the audit log. */
export interface Issuer {
  actorId: string | null;
  requestId?: string | null;
}

/**
 * Issues `count` new codes for the event and returns them (the only time they are seen);
 * null when there is no such event. One transaction: the rows and the audit entry (which
 * names the count, never a code).
 */
export async function issueAccessCodes(
  db: Db,
  eventId: string,
  howMany: number,
  issuer: Issuer,
): Promise<string[] | null> {
  return db.transaction(async (tx) => {
    if (!(await findEvent(tx, eventId, { lock: true }))) return null;
    const codes = Array.from({ length: howMany }, newAccessCode);
    // One statement with one text parameter: 100,000 codes took 1.8 s for the whole
    // request, against 10 s as drizzle inserts of 5,000 rows (busy 2-core VM).
    const hashes = codes
      .map((code) => accessCodeHash(eventId, normalizeAccessCode(code) as string).toString('hex'))
      .join(',');
    await tx.execute(sql`
      insert into ${accessCodes} (event_id, code_hash)
      select ${eventId}::uuid, decode(h, 'hex') from unnest(string_to_array(${hashes}, ',')) as h`);
    await recordAudit(tx, {
      actorId: issuer.actorId,
      action: 'event.access_codes_issued',
      targetType: 'event',
      targetId: eventId,
      details: { count: howMany },
      requestId: issuer.requestId,
    });
    return codes;
  });
}

/** The event's codes issued and bound so far; null when there is no such event. */
export async function accessCodeCounts(
  db: Db,
  eventId: string,
): Promise<{ issued: number; used: number } | null> {
  if (!(await findEvent(db, eventId))) return null;
  const [row] = await db
    .select({ issued: count(), used: count(accessCodes.userId) })
    .from(accessCodes)
    .where(eq(accessCodes.eventId, eventId));
  return { issued: row?.issued ?? 0, used: row?.used ?? 0 };
}

/** What using a code came to: ok (bound to the caller now or before), or why not. */
export type CodeUse = 'ok' | 'invalid' | 'used';

export function createAccessCodes(db: Db) {
  // event \n hash → the account it is bound to: a binding never changes.
  const bound = new LRUCache<string, string>({ max: 100_000 });

  return {
    /**
     * Binds the code to the user unless another account has it. One statement when it
     * binds (or was the user's), a second read only to tell a refusal's reason; a refusal
     * writes nothing.
     */
    async use(eventId: string, text: string, userId: string): Promise<CodeUse> {
      const code = normalizeAccessCode(text);
      if (code === null) return 'invalid';
      const hash = accessCodeHash(eventId, code);
      const cacheKey = `${eventId}\n${hash.toString('base64')}`;
      const known = bound.get(cacheKey);
      if (known !== undefined) return known === userId ? 'ok' : 'used';
      const row = and(eq(accessCodes.eventId, eventId), eq(accessCodes.codeHash, hash));
      // A racing account's UPDATE waits for this row's lock, then finds it bound to us.
      const [won] = await db
        .update(accessCodes)
        .set({ userId, usedAt: sql`coalesce(${accessCodes.usedAt}, now())` })
        .where(and(row, or(isNull(accessCodes.userId), eq(accessCodes.userId, userId))))
        .returning({ userId: accessCodes.userId });
      if (won) {
        bound.set(cacheKey, userId);
        return 'ok';
      }
      const [holder] = await db.select({ userId: accessCodes.userId }).from(accessCodes).where(row);
      if (!holder?.userId) return 'invalid';
      bound.set(cacheKey, holder.userId);
      return 'used';
    },
  };
}

export type AccessCodes = ReturnType<typeof createAccessCodes>;
