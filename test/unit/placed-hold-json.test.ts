import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { placedHoldJson, ReservationSchema, toReservation } from '../../api/schemas.js';
import type { Hold } from '../../core/reservations/hold.js';
import { newHoldId } from '../../core/reservations/hold-ids.js';

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
});
