// Input schemas whose rule the document states in full (issue 31): lengths counted as
// JSON Schema counts them, and the Timestamp pattern, which accepts exactly what zod's
// iso.datetime with an offset does in the years 2000..2200.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Chars, Timestamp, YEARS } from '../../api/schemas.js';

const zods = z.iso.datetime({ offset: true });
const before = (v: string) => {
  const year = Number(v.slice(0, 4));
  return zods.safeParse(v).success && year >= YEARS.min && year <= YEARS.max;
};
const pad = (n: number, width = 2) => String(n).padStart(width, '0');

describe('Chars', () => {
  it('counts code points, as minLength and maxLength do', () => {
    const text = fc.string({ unit: fc.constantFrom('a', 'é', '😀', '\u{10FFFF}'), maxLength: 12 });
    fc.assert(
      fc.property(
        text,
        fc.integer({ min: 0, max: 6 }),
        fc.integer({ min: 0, max: 6 }),
        (s, min, extra) => {
          const n = [...s].length;
          expect(Chars(min, min + extra).safeParse(s).success, s).toBe(
            n >= min && n <= min + extra,
          );
        },
      ),
    );
  });
});

describe('Timestamp', () => {
  it('agrees with iso.datetime in the years 2000..2200', () => {
    const stamp = fc
      .record({
        year: fc.integer({ min: 1990, max: 2210 }),
        month: fc.integer({ min: 0, max: 13 }),
        day: fc.integer({ min: 0, max: 32 }),
        hour: fc.integer({ min: 0, max: 24 }),
        fraction: fc.constantFrom('', '.5', '.123456789'),
        offset: fc.constantFrom('Z', '+01:00', '-14:00', '+24:00', 'z', ''),
      })
      .map(
        (s) =>
          `${pad(s.year, 4)}-${pad(s.month)}-${pad(s.day)}T${pad(s.hour)}:59:59${s.fraction}${s.offset}`,
      );
    fc.assert(
      fc.property(stamp, (v) => {
        expect(Timestamp().safeParse(v).success, v).toBe(before(v));
      }),
      { numRuns: 5000 },
    );
  });
});
