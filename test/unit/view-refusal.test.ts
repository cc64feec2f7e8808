// The reserve refusals memory may give (core/reservations/view-refusal.ts): the reserve
// script's own, in its order, and nothing the view cannot be sure of.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { holdRefusalToApiError } from '../../api/hold-errors.js';
import type { EventView } from '../../core/reservations/event-stock.js';
import { HoldError } from '../../core/reservations/hold.js';
import { refusalFromView } from '../../core/reservations/view-refusal.js';

const CATEGORY = '0193a0b2-7c1e-7d3a-9f00-000000000001';

function view(over: { status?: string; fenced?: boolean; room?: boolean; available?: number }) {
  const available = over.available ?? 0;
  return {
    state: { status: over.status ?? 'on_sale', holdTtlSeconds: 600, perUserLimit: 10 },
    fenced: over.fenced ?? false,
    categories: [
      {
        id: CATEGORY,
        name: 'GA',
        capacity: 10,
        held: 10 - available,
        confirmed: 0,
        available,
        perUserLimit: 0,
      },
    ],
    queue: {
      enabled: over.room ?? false,
      opened: true,
      admitPerSecond: 10,
      admittedTotal: 0,
      firstAdmitAt: null,
      soldOut: false,
      waiting: 0,
    },
    at: 0,
  } satisfies EventView;
}

describe('refusals from the view', () => {
  it('refuses sold out with what is left, as the script does', () => {
    expect(refusalFromView(view({}), CATEGORY, 1, '')).toMatchObject({
      code: HoldError.SoldOut,
      info: ['0'],
    });
    expect(refusalFromView(view({ available: 1 }), CATEGORY, 2, '')).toMatchObject({
      code: HoldError.SoldOut,
      info: ['1'],
    });
    expect(refusalFromView(view({ available: 2 }), CATEGORY, 2, '')).toBeNull();
  });

  it('asks for the pass before the stock, as the script does', () => {
    const room = view({ room: true });
    expect(refusalFromView(room, CATEGORY, 1, '')?.code).toBe(HoldError.QueuePassRequired);
    expect(refusalFromView(room, CATEGORY, 1, 'invalid')?.code).toBe(HoldError.QueuePassInvalid);
    expect(refusalFromView(room, CATEGORY, 1, 'pass-id')?.code).toBe(HoldError.SoldOut);
  });

  it('leaves to Redis what it cannot be sure of: fenced, not on sale, an unknown category', () => {
    expect(refusalFromView(view({ fenced: true }), CATEGORY, 1, '')).toBeNull();
    expect(refusalFromView(view({ status: 'paused' }), CATEGORY, 1, '')).toBeNull();
    expect(refusalFromView(view({}), '0193a0b2-7c1e-7d3a-9f00-000000000002', 1, '')).toBeNull();
  });
});

describe('refusals from the view, property-tested', () => {
  const over = fc.record({
    status: fc.constantFrom('on_sale', 'paused', 'draft', 'closed'),
    fenced: fc.boolean(),
    room: fc.boolean(),
    available: fc.integer({ min: -3, max: 10 }),
  });
  const pass = fc.constantFrom('', 'invalid', 'pass-id');

  it('refuses only what the reserve script would, and says what is left', () => {
    fc.assert(
      fc.property(over, fc.integer({ min: 1, max: 10 }), pass, (o, quantity, queuePass) => {
        const refusal = refusalFromView(view(o), CATEGORY, quantity, queuePass);
        const sure = !o.fenced && o.status === 'on_sale';
        const passMissing = o.room && queuePass !== 'pass-id';
        if (!sure || (!passMissing && quantity <= o.available)) {
          expect(refusal).toBeNull();
          return;
        }
        const answer = refusal && holdRefusalToApiError(refusal);
        if (passMissing) {
          expect(answer?.code).toBe(
            queuePass === '' ? 'queue_pass_required' : 'queue_pass_invalid',
          );
          return;
        }
        expect(answer?.code).toBe('sold_out');
        expect(answer?.options.extra).toEqual({ available: Math.max(0, o.available) });
      }),
    );
  });
});
