import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { placedHoldJson, ReservationSchema, toReservation } from '../../api/schemas.js';
import type { Hold } from '../../core/reservations/hold.js';
import { newHoldId } from '../../core/reservations/hold-ids.js';
import { reservationId, uuid } from './arbitraries.js';

/** Any time Date can write (ms since the epoch). */
const instant = fc.integer({ min: -8.64e15, max: 8.64e15 });

const placed = (overrides: Partial<Hold> = {}): Hold => {
  const eventId = randomUUID();
  const createdAt = Date.now() - Math.floor(Math.random() * 1e9);
  return {
    id: newHoldId(eventId),
    eventId,
    categoryId: randomUUID(),
    userId: randomUUID(),
    quantity: 1 + Math.floor(Math.random() * 10),
    status: 'held',
    expiresAt: createdAt + 300_000,
    createdAt,
    seq: 1,
    ...overrides,
  };
};

describe('the reserve answer', () => {
  it('is the same text as the reservation document serialised, and a valid one', () => {
    for (let i = 0; i < 1000; i++) {
      const hold = placed();
      const text = placedHoldJson(hold);
      expect(text).toBe(JSON.stringify(toReservation(hold)));
      expect(ReservationSchema.safeParse(JSON.parse(text)).success).toBe(true);
    }
  });

  it('takes the general path for anything but a plain held hold', () => {
    const odd = placed({ userId: 'a"b\\c' });
    expect(JSON.parse(placedHoldJson(odd)).userId).toBe('a"b\\c');
    const confirmed = placed({ status: 'confirmed', confirmedAt: Date.now() });
    expect(placedHoldJson(confirmed)).toBe(JSON.stringify(toReservation(confirmed)));
  });

  it('is JSON.stringify of the document for any held hold the engine can place', () => {
    const held = fc.record({
      id: reservationId,
      eventId: uuid,
      categoryId: uuid,
      // Anything: one that needs escaping must take the general path.
      userId: fc.oneof(uuid, fc.string({ unit: 'binary' }), fc.constantFrom('a"b', 'a\\b', '')),
      quantity: fc.double({ noNaN: true, noDefaultInfinity: true }),
      status: fc.constant('held' as const),
      expiresAt: instant,
      createdAt: instant,
      seq: fc.integer({ min: 1 }),
    });
    fc.assert(
      fc.property(held, (hold) => {
        expect(placedHoldJson(hold)).toBe(JSON.stringify(toReservation(hold)));
      }),
      { numRuns: 2000 },
    );
  });
});
