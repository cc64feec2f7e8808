// Every cursor the document's pattern admits names a position (issue 31): a client or a
// fuzzer sending a well-formed cursor gets a page, never a 400.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor, pageQuery } from '../../api/pagination.js';

const cursorPattern = (key: 'uuid' | 'reservation') => {
  const schema = pageQuery(key).shape.cursor.unwrap();
  const check = schema._zod.def.checks?.find((c) => '_zod' in c && 'pattern' in c._zod.def);
  return (check as unknown as { _zod: { def: { pattern: RegExp } } })._zod.def.pattern;
};

describe('cursors', () => {
  it.each(['uuid', 'reservation'] as const)(
    'any %s cursor the pattern admits is a position in the stores’ years',
    (key) => {
      const pattern = cursorPattern(key);
      fc.assert(
        fc.property(fc.stringMatching(pattern), (cursor) => {
          expect(pageQuery(key).safeParse({ cursor }).success).toBe(true);
          const { t, id } = decodeCursor(cursor) ?? { t: '', id: '' };
          expect(t >= '2000' && t < '2201', t).toBe(true);
          expect(cursor.endsWith(`.${id}`)).toBe(true);
        }),
      );
    },
  );

  it('gives back the position a page ended at', () => {
    const position = { t: '2031-05-01T20:15:00.123Z', id: '0193a0b2-7c1e-7d3a-9f00-1c2d3e4f5a6b' };
    const cursor = encodeCursor(position);
    expect(pageQuery().safeParse({ cursor }).success).toBe(true);
    expect(decodeCursor(cursor)).toEqual(position);
    const hold = { t: position.t, id: 'AZOgsnwefTqfABwtPk9aaw1q0m4yQ8xkuPMMWRUdSb' };
    expect(decodeCursor(encodeCursor(hold))).toEqual(hold);
    expect(pageQuery('reservation').safeParse({ cursor: encodeCursor(hold) }).success).toBe(true);
  });

  it('refuses what no page gave out', () => {
    for (const cursor of ['0', 'not-ours', '12.', '.abc', '1.not a uuid', '1234567890123456.x'])
      expect(pageQuery().safeParse({ cursor }).success, cursor).toBe(false);
  });
});
