// Folding reservation steps into rows (core/records/persist.ts): whatever order and however
// often the steps come, the rows are the same.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { foldSteps } from '../../core/records/persist.js';
import type { ReservationChange } from '../../core/reservations/changes.js';
import { stepBatches as batches } from './arbitraries.js';

const E = '0193a0b2-7c1e-7d3a-9f00-1c2d3e4f5a6b';

const byId = <T extends { id: string }>(rows: T[]) =>
  [...rows].sort((a, b) => a.id.localeCompare(b.id));

describe('folding steps into rows', () => {
  it('gives one row per reservation whatever the order and the repeats', () => {
    fc.assert(
      fc.property(batches, ([lives, shuffled]) => {
        expect(byId(foldSteps(shuffled))).toEqual(byId(foldSteps(lives.flat())));
      }),
    );
  });

  it('the last step decides status and expiry; each time is the step’s that set it', () => {
    fc.assert(
      fc.property(batches, ([lives, shuffled]) => {
        const rows = new Map(foldSteps(shuffled).map((r) => [r.id, r]));
        expect(rows.size).toBe(lives.length);
        for (const steps of lives) {
          const first = steps[0] as ReservationChange;
          const last = steps.at(-1) as ReservationChange;
          const at = (status: string) => steps.find((s) => s.type === `reservation.${status}`)?.at;
          const ended = steps.find((s) => /released|expired|cancelled/.test(s.type));
          expect(rows.get(first.reservationId)).toEqual({
            id: first.reservationId,
            event_id: E,
            category_id: E,
            user_id: E,
            quantity: first.quantity,
            status: last.type.slice('reservation.'.length),
            seq: last.seq,
            expires_at: last.expiresAt,
            created_at: first.at,
            confirmed_at: at('confirmed') ?? null,
            ended_at: ended?.at ?? null,
            seats: null,
          });
        }
      }),
    );
  });

  it('writes times to the millisecond as JavaScript does, whatever the message’s precision', () => {
    const [row] = foldSteps([
      {
        type: 'reservation.held',
        reservationId: 'r1',
        eventId: E,
        categoryId: E,
        userId: E,
        quantity: 1,
        at: '2026-12-01T10:00:00Z',
        seq: 1,
        expiresAt: '2026-12-01T10:05:00.123456Z',
      },
    ]);
    expect(row).toMatchObject({
      created_at: '2026-12-01T10:00:00.000Z',
      expires_at: '2026-12-01T10:05:00.123Z',
    });
  });

  it('folds nothing into nothing', () => {
    expect(foldSteps([])).toEqual([]);
  });
});
