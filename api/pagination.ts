// Keyset pagination with opaque cursors: `{items, nextCursor}`, limit 1..100 (default 20).
// A cursor is the last row's sort key, base64url-encoded; clients pass it back as-is.
import { z } from '@hono/zod-openapi';
import { ApiError } from './problem.js';

export const PageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z
    .string()
    .max(500)
    .regex(/^[A-Za-z0-9_-]+$/, 'must be a cursor this API gave out')
    .optional()
    .openapi({ description: 'The nextCursor of the page before, as it was given' }),
});

export interface Position {
  /** the sort time, ISO 8601 */
  t: string;
  /** the row id, breaking ties */
  id: string;
}

export const encodeCursor = (p: Position) => Buffer.from(JSON.stringify(p)).toString('base64url');

/** Years a position may name: anything else was not given out here (and Postgres could refuse it). */
const PositionSchema = z.object({
  t: z.iso.datetime().refine((t) => t >= '2000' && t < '2201'),
  // UUIDs, or reservation ids (opaque, URL-safe: SPEC §2)
  id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
});

export function decodeCursor(cursor: string | undefined): Position | undefined {
  if (cursor === undefined) return undefined;
  try {
    return PositionSchema.parse(JSON.parse(Buffer.from(cursor, 'base64url').toString()));
  } catch {
    throw new ApiError('validation_failed', 'Invalid query: cursor', {
      extra: {
        errors: [{ in: 'query', field: 'cursor', message: 'not a cursor this API gave out' }],
      },
    });
  }
}

/** Takes `limit` of `limit + 1` fetched rows; the extra one says there is a next page. */
export function page<T>(rows: T[], limit: number, positionOf: (row: T) => Position) {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > limit && last ? encodeCursor(positionOf(last)) : null };
}

export const PageSchema = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), nextCursor: z.string().nullable() });
