// Keyset pagination with opaque cursors: `{items, nextCursor}`, limit 1..100 (default 20).
// A cursor is the last row's position: its sort time in epoch milliseconds and its id,
// `<ms>.<id>`. Clients pass it back as-is; the schema's pattern is the whole rule, so every
// cursor the document admits is answered with a page: a position no row has (a forged one,
// or a row deleted since) simply starts the page there, maybe an empty one.
import { z } from '@hono/zod-openapi';
import { YEARS } from './schemas.js';

/** The ids a list is keyed by: UUIDs (as Postgres reads them), or reservation ids. */
const KEYS = {
  uuid: '[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}',
  reservation: '[A-Za-z0-9_-]{1,64}',
} as const;

const cursorOf = (key: keyof typeof KEYS) =>
  z
    .string()
    .regex(new RegExp(`^[0-9]{1,15}\\.${KEYS[key]}$`), 'must be a cursor this API gave out')
    .optional()
    .openapi({ description: 'The nextCursor of the page before, as it was given' });

/** The query of a paged list whose rows have UUIDs; `reservation` for reservation ids. */
export const pageQuery = (key: keyof typeof KEYS = 'uuid') =>
  z.object({
    limit: z.coerce.number().int().min(1).max(100).default(20),
    cursor: cursorOf(key),
  });

export const PageQuery = pageQuery();

export interface Position {
  /** the sort time, ISO 8601 */
  t: string;
  /** the row id, breaking ties */
  id: string;
}

export const encodeCursor = (p: Position) => `${Date.parse(p.t)}.${p.id}`;

/** The times a position may name: the stores' years (anything else reads as its bound). */
const EARLIEST = Date.UTC(YEARS.min, 0, 1);
const LATEST = Date.UTC(YEARS.max + 1, 0, 1) - 1;

/** The position of a cursor the schema admitted (every one names a position). */
export function decodeCursor(cursor: string | undefined): Position | undefined {
  if (cursor === undefined) return undefined;
  const dot = cursor.indexOf('.');
  const ms = Math.min(LATEST, Math.max(EARLIEST, Number(cursor.slice(0, dot))));
  return { t: new Date(ms).toISOString(), id: cursor.slice(dot + 1) };
}

/** Takes `limit` of `limit + 1` fetched rows; the extra one says there is a next page. */
export function page<T>(rows: T[], limit: number, positionOf: (row: T) => Position) {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > limit && last ? encodeCursor(positionOf(last)) : null };
}

export const PageSchema = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), nextCursor: z.string().nullable() });
