import { describe, expect, it } from 'vitest';
import { foldSteps } from '../../core/records/persist.js';
import {
  fromOutboxEntry,
  ReservationChange,
  readReservationChange,
  reservationChangeJson,
} from '../../core/reservations/changes.js';

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
