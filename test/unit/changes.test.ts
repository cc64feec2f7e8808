import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { foldSteps } from '../../core/records/persist.js';
import {
  fromOutboxEntry,
  outboxRequestId,
  outboxTraceparent,
  parseReservationChange,
  RESERVATION_CHANGE_TYPES,
  ReservationChange,
  readReservationChange,
  reservationChangeJson,
} from '../../core/reservations/changes.js';
import {
  expectAsParsed,
  type Field,
  isoTime,
  nearInt,
  nearIsoTime,
  nearUrlSafe,
  nearUuid,
  nearValid,
  noise,
  reservationId,
  urlSafe,
  uuid,
  validOf,
} from './arbitraries.js';

const E = '0193a0b2-7c1e-7d3a-9f00-1c2d3e4f5a6b';
const C = '0193a0b2-7c1e-7d3a-9f00-1c2d3e4f5a6c';
const U = '0193a0b2-7c1e-7d3a-9f00-1c2d3e4f5a6d';
const held = {
  type: 'reservation.held' as const,
  reservationId: 'AZOgsnwefTqfABwtPk9aaw1q0m4yQ8xkuPMMWRUdSb',
  eventId: E,
  categoryId: C,
  userId: U,
  quantity: 2,
  at: '2026-12-01T10:00:00.000Z',
  seq: 1,
  expiresAt: '2026-12-01T10:05:00.000Z',
  eventSeq: 7,
};

describe('reservation changes (reservations.v1)', () => {
  it('read by hand exactly as the zod schema reads them', () => {
    const cases: unknown[] = [
      held,
      { ...held, eventSeq: undefined },
      { ...held, quantity: 11 },
      { ...held, reservationId: 'has space' },
      { ...held, eventId: 'nope' },
      { ...held, type: 'reservation.paid' },
      { ...held, at: 'yesterday' },
      { ...held, seq: 0 },
      { ...held, eventSeq: 1.5 },
      { ...held, seats: ['A-1-1', 'A-1-2'] },
      { ...held, seats: [] },
      { ...held, seats: ['A 1 1'] },
      { ...held, seats: 'A-1-1' },
      null,
      'text',
    ];
    for (const c of cases) {
      const zod = ReservationChange.safeParse(c);
      expect(readReservationChange(c), JSON.stringify(c)).toEqual(zod.success ? zod.data : null);
    }
  });

  it('come out of an outbox entry and go out as the JSON JSON.stringify would write', () => {
    const fields = [
      'type',
      'reservation.held',
      'reservationId',
      held.reservationId,
      'eventId',
      E,
      'categoryId',
      C,
      'userId',
      U,
      'quantity',
      '2',
      'at',
      String(Date.parse(held.at)),
      'seq',
      '1',
      'expiresAt',
      String(Date.parse(held.expiresAt)),
      'eventSeq',
      '7',
    ];
    const change = fromOutboxEntry(fields);
    expect(change).toEqual(held);
    expect(reservationChangeJson(change)).toBe(JSON.stringify(change));
    expect(() =>
      fromOutboxEntry(fields.map((f) => (f === 'reservation.held' ? 'x' : f))),
    ).toThrow();
    // A seated hold's seats (SPEC §8), comma-separated in the outbox.
    const seated = fromOutboxEntry([...fields, 'seats', 'Stalls-A-1,Stalls-A-2']);
    expect(seated).toEqual({ ...held, seats: ['Stalls-A-1', 'Stalls-A-2'] });
    expect(reservationChangeJson(seated)).toBe(JSON.stringify(seated));
    expect(foldSteps([seated])[0]?.seats).toBe('Stalls-A-1,Stalls-A-2');
  });

  it('a traced entry carries its traceparent and request id beside the message, not in it', () => {
    const traceparent = `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`;
    const fields = [
      ...['type', 'reservation.released', 'reservationId', held.reservationId, 'eventId', E],
      ...['categoryId', C, 'userId', U, 'quantity', '2', 'at', String(Date.parse(held.at))],
      ...['seq', '2', 'expiresAt', String(Date.parse(held.expiresAt))],
    ];
    const traced = [...fields, 'traceparent', traceparent, 'requestId', 'abc-1f'];
    expect(outboxTraceparent(traced)).toBe(traceparent);
    expect(outboxRequestId(traced)).toBe('abc-1f');
    expect(fromOutboxEntry(traced)).toEqual(fromOutboxEntry(fields));
    expect(reservationChangeJson(fromOutboxEntry(traced))).not.toMatch(/abc-1f|traceparent/);
    // An untraced entry carries neither.
    expect(outboxTraceparent(fields)).toBeUndefined();
    expect(outboxRequestId(fields)).toBeUndefined();
  });

  it('fold into one row per reservation, the highest seq deciding, each time kept once', () => {
    const confirmed = {
      ...held,
      type: 'reservation.confirmed' as const,
      seq: 2,
      at: '2026-12-01T10:01:00.000Z',
      eventSeq: 9,
    };
    for (const order of [
      [held, confirmed],
      [confirmed, held],
      [confirmed, held, confirmed],
    ]) {
      const [row, ...more] = foldSteps(order);
      expect(more).toEqual([]);
      expect(row).toMatchObject({
        id: held.reservationId,
        status: 'confirmed',
        seq: 2,
        created_at: held.at,
        confirmed_at: confirmed.at,
        ended_at: null,
      });
    }
  });
});

const seq: Field = {
  valid: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
  near: nearInt(1, Number.MAX_SAFE_INTEGER),
};
/** ReservationChange's shape, field by field. */
const shape: Record<string, Field> = {
  type: {
    valid: fc.constantFrom(...RESERVATION_CHANGE_TYPES),
    near: fc.constantFrom('reservation.paid', 'Reservation.held', 'reservation.held ', 'held', ''),
  },
  reservationId: { valid: reservationId, near: nearUrlSafe(64) },
  eventId: { valid: uuid, near: nearUuid },
  categoryId: { valid: uuid, near: nearUuid },
  userId: { valid: uuid, near: nearUuid },
  quantity: { valid: fc.integer({ min: 1, max: 10 }), near: nearInt(1, 10) },
  at: { valid: isoTime, near: nearIsoTime },
  seq,
  expiresAt: { valid: isoTime, near: nearIsoTime },
  eventSeq: { ...seq, optional: true },
  queuePass: { valid: urlSafe(64), near: nearUrlSafe(64), optional: true },
};
const changes = fc.oneof({ weight: 5, arbitrary: nearValid(shape) }, noise);

describe('reservation changes, property-tested', () => {
  it('readReservationChange refuses exactly what the schema refuses, and reads the same', () => {
    fc.assert(
      fc.property(changes, (value) => {
        const read = readReservationChange(value);
        const parsed = ReservationChange.safeParse(value);
        expect(read === null, JSON.stringify(value)).toBe(!parsed.success);
        if (read !== null) expectAsParsed(read, parsed);
      }),
      { numRuns: 5000 },
    );
  });

  it('a change read is written back as JSON.stringify writes it', () => {
    fc.assert(
      fc.property(changes, (value) => {
        const read = readReservationChange(value);
        if (read) expect(reservationChangeJson(read)).toBe(JSON.stringify(read));
      }),
      { numRuns: 2000 },
    );
  });

  it('a Kafka message is read as its JSON value is, and anything not JSON is no change', () => {
    fc.assert(
      fc.property(changes, (value) => {
        const text = JSON.stringify(value);
        if (text === undefined) return;
        const expected = readReservationChange(JSON.parse(text));
        expect(parseReservationChange(text)).toEqual(expected);
        expect(parseReservationChange(Buffer.from(text))).toEqual(expected);
        expect(parseReservationChange(text.slice(0, -1) || '{')).toBeNull();
      }),
      { numRuns: 1000 },
    );
    expect(parseReservationChange(null)).toBeNull();
  });

  it('an outbox entry of any change comes out as that change', () => {
    // Times as the outbox writes them: ms, which read back as Date#toISOString writes them.
    fc.assert(
      fc.property(validOf(shape), (value) => {
        const change = readReservationChange(value);
        if (change === null) throw new Error(`refused ${JSON.stringify(value)}`);
        const fields = Object.entries(change).flatMap(([k, v]) => [
          k,
          k === 'at' || k === 'expiresAt' ? String(Date.parse(v as string)) : String(v),
        ]);
        expect(fromOutboxEntry(fields)).toEqual(change);
      }),
      { numRuns: 500 },
    );
  });

  it.each([
    ['no time', undefined],
    ['an empty time', ''],
    ['a fraction of a millisecond', '1.5'],
    ['a date', '2026-12-01T10:00:00Z'],
    ['beyond safe integers', '9007199254740993'],
  ])('an outbox entry with %s is refused', (_, at) => {
    const fields = ['type', 'reservation.held', 'reservationId', 'r1', 'eventId', E];
    fields.push('categoryId', C, 'userId', U, 'quantity', '1', 'seq', '1', 'expiresAt', '0');
    if (at !== undefined) fields.push('at', at);
    expect(() => fromOutboxEntry(fields)).toThrow();
  });
});
