// The notices a batch of steps carries (core/records/notices.ts) and the worker's
// notification of one (worker/notifier.ts): one per reservation and kind, whatever repeats.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NOTIFIED_KINDS, noticesOf } from '../../core/records/notices.js';
import type { ReservationChange } from '../../core/reservations/changes.js';
import { toNotification } from '../../worker/notifier.js';
import { stepBatches as batches } from './arbitraries.js';

const E = '0193a0b2-7c1e-7d3a-9f00-1c2d3e4f5a6b';

describe('notices', () => {
  it('one per reservation and kind told, whatever the repeats; none for a hold or a release', () => {
    fc.assert(
      fc.property(batches, ([lives, shuffled]) => {
        const notices = noticesOf(shuffled);
        const told = lives
          .flat()
          .filter((s) => (NOTIFIED_KINDS as readonly string[]).includes(s.type))
          .map((s) => `${s.type}:${s.reservationId}`);
        expect(notices.map((n) => `${n.kind}:${n.reservation_id}`).sort()).toEqual(told.sort());
      }),
    );
  });

  it('carry what the fan needs of the step, and the worker’s dedupe key', () => {
    const step: ReservationChange = {
      type: 'reservation.confirmed',
      reservationId: 'r9',
      eventId: E,
      categoryId: E,
      userId: E,
      quantity: 3,
      at: '2026-12-01T10:01:00.000Z',
      seq: 2,
      expiresAt: '2026-12-01T10:05:00.000Z',
    };
    const payload = { reservationId: 'r9', eventId: E, categoryId: E, quantity: 3, at: step.at };
    expect(noticesOf([step])).toEqual([
      { user_id: E, event_id: E, reservation_id: 'r9', kind: step.type, payload },
    ]);
    expect(toNotification(step)).toEqual({
      userId: E,
      eventId: E,
      reservationId: 'r9',
      kind: step.type,
      dedupeKey: 'reservation.confirmed:r9',
      payload,
    });
    expect(toNotification({ ...step, type: 'reservation.held', seq: 1 })).toBeNull();
  });
});
