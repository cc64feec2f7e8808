// fast-check arbitraries shared by the unit tests' property tests: valid values of the
// engine's formats, the values next to them (boundaries, wrong types, look-alikes), and
// objects built from a schema's shape with a few of its fields broken.
import fc from 'fast-check';
import { expect, it } from 'vitest';
import type { ReservationChange } from '../../core/reservations/changes.js';
import { newHoldId } from '../../core/reservations/hold-ids.js';

/** A field left out of an object built by `nearValid`. */
export const ABSENT = Symbol('absent');

/** Anything a JSON body or a Kafka message could hold, and the JavaScript values JSON cannot. */
export const noise: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue(),
  fc.constantFrom(NaN, Infinity, -Infinity, -0, true, false, null, '', [], {}),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
);

/** UUIDs of every version zod's z.uuid() takes, in either case, and the nil and max ones. */
export const uuid = fc.oneof(
  fc.uuid(),
  fc.uuid().map((u) => u.toUpperCase()),
  fc.constantFrom('00000000-0000-0000-0000-000000000000', 'ffffffff-ffff-ffff-ffff-ffffffffffff'),
);

/** Strings that look like a UUID and may not be one. */
export const nearUuid: fc.Arbitrary<unknown> = fc.oneof(
  uuid,
  fc.uuid().chain((u) =>
    fc.constantFrom(
      u.replaceAll('-', ''),
      `${u}0`,
      u.slice(1),
      ` ${u}`,
      `${u}\n`,
      `{${u}}`,
      `${u.slice(0, 14)}0${u.slice(15)}`, // version 0
      `${u.slice(0, 14)}9${u.slice(15)}`, // version 9
      `${u.slice(0, 19)}c${u.slice(20)}`, // another variant
      `${u.slice(0, 8)}_${u.slice(9)}`,
      u.replace(/[0-9]/, '٣'), // a digit of another script
      u.replace(/[a-f]/, 'g'),
      [u], // a string of it, not one
    ),
  ),
  noise,
);

/** Integers around [min, max], the numbers that are not integers, and numbers as text. */
export const nearInt = (min: number, max: number): fc.Arbitrary<unknown> =>
  fc.oneof(
    {
      weight: 4,
      arbitrary: fc.constantFrom(min - 1, min, max, max + 1, min + 0.5, max - 1e-9, -0, 0),
    },
    { weight: 2, arbitrary: fc.integer({ min, max }) },
    fc.constantFrom(NaN, Infinity, -Infinity, Number.MIN_VALUE, 2 ** 53, 2 ** 53 + 2, 1e21),
    fc.constantFrom(`${min}`, `${max}`, '1.0', ' 1', '0x1', '1e1', 'NaN', 'Infinity', '１', '-0'),
    fc.integer(),
    fc.double(),
    noise,
  );

/** ISO 8601 instants as JavaScript writes them, in years 0000..9999 (zod's format). */
export const isoTime = fc
  .date({
    min: new Date('0000-01-01T00:00:00Z'),
    max: new Date('9999-12-31T23:59:59.999Z'),
    noInvalidDate: true,
  })
  .map((d) => d.toISOString());

/** Times next to the format: other precisions, offsets, impossible dates, other spellings. */
export const nearIsoTime: fc.Arbitrary<unknown> = fc.oneof(
  isoTime,
  isoTime.chain((t) =>
    fc.constantFrom(
      t.replace('.', ',').slice(0, -1),
      t.slice(0, 19),
      `${t.slice(0, 19)}Z`,
      `${t.slice(0, 23)}4567Z`,
      `${t.slice(0, -1)}+01:00`,
      t.toLowerCase(),
      t.replace('T', ' '),
      `${t}\n`,
      ` ${t}`,
    ),
  ),
  fc.constantFrom(
    '2024-02-29T00:00:00Z',
    '2023-02-29T00:00:00Z',
    '2100-02-29T00:00:00Z',
    '2000-02-29T00:00:00Z',
    '2026-04-31T10:00:00Z',
    '2026-12-01T24:00:00Z',
    '2026-12-01T23:59:60Z',
    '+010000-01-01T00:00:00.000Z',
    '2026-12-01',
  ),
  noise,
);

const URL_SAFE = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-';

/** Strings of URL-safe characters, of length min..max. */
export const urlSafe = (max: number, min = 1) =>
  fc.string({ unit: fc.constantFrom(...URL_SAFE), minLength: min, maxLength: max });

/** Reservation ids: the engine's hold ids, older UUIDs, any 1..64 URL-safe characters. */
export const reservationId = fc.oneof(
  uuid.map((u) => newHoldId(u.toLowerCase())),
  fc.uuid(),
  urlSafe(64),
);

/** Strings next to a 1..max URL-safe id: empty, one too long, other characters. */
export const nearUrlSafe = (max: number): fc.Arbitrary<unknown> =>
  fc.oneof(
    urlSafe(max),
    fc.constantFrom('', 'x'.repeat(max + 1), 'x'.repeat(max), 'a b', 'a.b', 'a+b', 'a/b', 'é'),
    urlSafe(max).map((s) => `${s}=`),
    urlSafe(max).map((s) => `${s}\n`),
    noise,
  );

/** How a field of a schema's shape is drawn: valid values, and values next to them. */
export interface Field {
  valid: fc.Arbitrary<unknown>;
  near: fc.Arbitrary<unknown>;
  /** the field may be left out of a valid object */
  optional?: boolean;
}

type Change = { key: string; value: unknown };

/** Every field of the shape valid (an optional one there or not). */
function validFields(shape: Record<string, Field>): fc.Arbitrary<Record<string, unknown>> {
  return fc.record(
    Object.fromEntries(
      Object.entries(shape).map(([k, f]) => [
        k,
        f.optional ? fc.option(f.valid, { nil: ABSENT }) : f.valid,
      ]),
    ),
  );
}

/** The object of these entries, fields set to ABSENT left out. */
const objectOf = (entries: Iterable<[string, unknown]>) =>
  // fromEntries defines own properties, `__proto__` included (as JSON.parse does).
  Object.fromEntries([...entries].filter(([, v]) => v !== ABSENT));

/**
 * Objects of the shape: a valid one, then up to three changes — a field given a near or
 * random value, a field removed, a key added.
 */
export function nearValid(shape: Record<string, Field>): fc.Arbitrary<Record<string, unknown>> {
  const keys = Object.keys(shape);
  const change: fc.Arbitrary<Change> = fc.oneof(
    fc
      .constantFrom(...keys)
      .chain((key) =>
        fc
          .oneof((shape[key] as Field).near, fc.constant(ABSENT), noise)
          .map((value) => ({ key, value })),
      ),
    fc
      .tuple(fc.oneof(fc.string(), fc.constantFrom('__proto__', 'constructor', 'toString')), noise)
      .map(([key, value]) => ({ key, value })),
  );
  return fc.tuple(validFields(shape), fc.array(change, { maxLength: 3 })).map(([base, changes]) => {
    const entries = new Map<string, unknown>(Object.entries(base));
    for (const { key, value } of changes) entries.set(key, value);
    return objectOf(entries);
  });
}

/** Objects of the shape with every field valid, and unknown keys besides. */
export function validOf(shape: Record<string, Field>): fc.Arbitrary<Record<string, unknown>> {
  const unknownKey = fc.string().filter((k) => !Object.hasOwn(shape, k));
  return fc
    .tuple(validFields(shape), fc.dictionary(unknownKey, fc.jsonValue(), { maxKeys: 3 }))
    .map(([fields, extra]) => objectOf([...Object.entries(extra), ...Object.entries(fields)]));
}

/**
 * A hand-written acceptor's answer against its schema's: undefined (the schema judges the
 * input), or exactly what the schema outputs — never an input the schema refuses.
 */
export function expectAsParsed(
  accepted: unknown,
  parsed: { success: true; data: unknown } | { success: false },
): void {
  if (accepted === undefined) return;
  expect(parsed.success, 'the acceptor took what the schema refuses').toBe(true);
  if (!parsed.success) return;
  expect(accepted).toEqual(parsed.data);
  // Same keys in the same order, nothing the schema drops.
  expect(JSON.stringify(accepted)).toBe(JSON.stringify(parsed.data));
}

/**
 * The two properties of a hot route's acceptor (api/hand-validated.ts): it never takes
 * what its schema refuses, nor answers anything but the schema's output; and it takes every
 * valid input itself (else it would be no faster than zod).
 */
export function itAgreesWithItsSchema<T>(
  accept: (value: unknown) => T | undefined,
  schema: { safeParse(value: unknown): { success: true; data: unknown } | { success: false } },
  shape: Record<string, Field>,
): void {
  it('accepts nothing the schema refuses, and answers what the schema outputs', () => {
    fc.assert(
      fc.property(fc.oneof({ weight: 3, arbitrary: nearValid(shape) }, noise), (value) => {
        expectAsParsed(accept(value), schema.safeParse(value));
      }),
      { numRuns: 3000 },
    );
  });

  it('accepts every valid input itself, unknown keys dropped as zod drops them', () => {
    fc.assert(
      fc.property(validOf(shape), (value) => {
        const accepted = accept(value);
        expect(accepted).toBeDefined();
        expectAsParsed(accepted, schema.safeParse(value));
      }),
      { numRuns: 500 },
    );
  });
}

export const STEP_EVENT = '0193a0b2-7c1e-7d3a-9f00-1c2d3e4f5a6b';
const T0 = Date.parse('2026-12-01T10:00:00Z');

/** The paths a reservation's life can take, step by step. */
const PATHS = [
  ['held'],
  ['held', 'confirmed'],
  ['held', 'released'],
  ['held', 'expired'],
  ['held', 'confirmed', 'cancelled'],
] as const;

/** One reservation's steps, seq 1.. in time order. */
const life = (id: string) =>
  fc
    .record({
      path: fc.constantFrom(...PATHS),
      start: fc.integer({ min: 0, max: 1e9 }),
      gaps: fc.array(fc.integer({ min: 0, max: 1e6 }), { minLength: 2, maxLength: 2 }),
      quantity: fc.integer({ min: 1, max: 10 }),
    })
    .map(({ path, start, gaps, quantity }) => {
      let at = T0 + start;
      return path.map((status, i): ReservationChange => {
        if (i > 0) at += gaps[i - 1] ?? 0;
        return {
          type: `reservation.${status}`,
          reservationId: id,
          eventId: STEP_EVENT,
          categoryId: STEP_EVENT,
          userId: STEP_EVENT,
          quantity,
          at: new Date(at).toISOString(),
          seq: i + 1,
          expiresAt: new Date(T0 + start + 300_000 * (i + 1)).toISOString(),
        };
      });
    });

/**
 * Several reservations' steps (event, category and user all STEP_EVENT) in order, and the
 * same steps shuffled, some repeated.
 */
export const stepBatches = fc
  .array(fc.constantFrom('r1', 'r2', 'r3', 'r4'), { minLength: 1, maxLength: 4 })
  .map((ids) => [...new Set(ids)])
  .chain((ids) => fc.tuple(...ids.map(life)))
  .chain((lives) => {
    const steps = lives.flat();
    return fc.tuple(
      fc.constant(lives),
      fc
        .subarray(steps)
        .chain((again) =>
          fc.shuffledSubarray([...steps, ...again], { minLength: steps.length + again.length }),
        ),
    );
  });
