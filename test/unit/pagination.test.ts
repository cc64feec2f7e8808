// Keyset pages and their opaque cursors (api/pagination.ts).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor, PageQuery, page } from '../../api/pagination.js';
import { ApiError } from '../../api/problem.js';
import { reservationId } from './arbitraries.js';

/** Sort times a page may be positioned at: ms, years 2000..2200. */
const sortTime = fc
  .date({
    min: new Date('2000-01-01T00:00:00Z'),
    max: new Date('2200-12-31T23:59:59.999Z'),
    noInvalidDate: true,
  })
  .map((d) => d.toISOString());
const position = fc.record({ t: sortTime, id: reservationId });

const refusedCursor = (cursor: string) => {
  try {
    decodeCursor(cursor);
  } catch (err) {
    return err instanceof ApiError ? err : undefined;
  }
  return undefined;
};

describe('cursors', () => {
  it('give back the position they were made of, in URL-safe characters', () => {
    fc.assert(
      fc.property(position, (p) => {
        const cursor = encodeCursor(p);
        expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
        expect(PageQuery.safeParse({ cursor }).success).toBe(true);
        expect(decodeCursor(cursor)).toEqual(p);
      }),
    );
  });

  it('no cursor, no position', () => {
    expect(decodeCursor(undefined)).toBeUndefined();
  });

  it.each([
    ['not base64 JSON', 'bm90IGpzb24'],
    ['a year before 2000', encodeCursor({ t: '1999-12-31T23:59:59.999Z', id: 'a' })],
    ['a year after 2200', encodeCursor({ t: '2201-01-01T00:00:00.000Z', id: 'a' })],
    ['a time without its zone', encodeCursor({ t: '2026-01-01T00:00:00', id: 'a' })],
    ['an id with a quote', encodeCursor({ t: '2026-01-01T00:00:00.000Z', id: "a'" })],
    ['an empty id', encodeCursor({ t: '2026-01-01T00:00:00.000Z', id: '' })],
    ['no id', Buffer.from('{"t":"2026-01-01T00:00:00.000Z"}').toString('base64url')],
    ['JSON null', Buffer.from('null').toString('base64url')],
  ])('refuses %s as a validation problem on the query', (_, cursor) => {
    const err = refusedCursor(cursor);
    expect(err?.code).toBe('validation_failed');
    expect(err?.options.extra).toEqual({
      errors: [{ in: 'query', field: 'cursor', message: 'not a cursor this API gave out' }],
    });
  });
});

describe('pages', () => {
  it('take `limit` rows, with a cursor at the last one only when a row is left over', () => {
    const rows = fc.array(position, { maxLength: 12 });
    fc.assert(
      fc.property(rows, fc.integer({ min: 1, max: 10 }), (fetched, limit) => {
        const { items, nextCursor } = page(fetched, limit, (p) => p);
        expect(items).toEqual(fetched.slice(0, limit));
        if (fetched.length > limit) expect(decodeCursor(nextCursor ?? '')).toEqual(items.at(-1));
        else expect(nextCursor).toBeNull();
      }),
    );
  });

  it.each([
    [{}, { limit: 20 }],
    [{ limit: '5' }, { limit: 5 }],
    [{ limit: '100' }, { limit: 100 }],
  ])('reads the query %j as %j', (query, out) => {
    expect(PageQuery.parse(query)).toEqual(out);
  });

  it.each([
    { limit: '0' },
    { limit: '101' },
    { limit: '2.5' },
    { limit: 'ten' },
    {
      cursor: 'a'.repeat(501),
    },
    { cursor: 'a+b' },
  ])('refuses the query %j', (query) => {
    expect(PageQuery.safeParse(query).success).toBe(false);
  });
});
