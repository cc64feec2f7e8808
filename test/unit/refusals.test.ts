import { describe, expect, it } from 'vitest';
import { holdRefusalToApiError } from '../../api/hold-errors.js';
import { ERRORS } from '../../api/problem.js';
import { HoldError, HoldRefusal } from '../../core/reservations/hold.js';

describe('hold refusals over HTTP', () => {
  it('map every script code onto a SPEC §2 code with its status', () => {
    const expected: [HoldError, string[], string, number][] = [
      [HoldError.SoldOut, ['3'], 'sold_out', 409],
      [HoldError.LimitExceeded, ['10', '9'], 'limit_exceeded', 409],
      [HoldError.NotOnSale, ['paused'], 'not_on_sale', 409],
      [HoldError.EventNotFound, [], 'not_found', 404],
      [HoldError.CategoryNotFound, [], 'not_found', 404],
      [HoldError.HoldNotFound, [], 'not_found', 404],
      // Someone else's hold reads exactly like a missing one.
      [HoldError.NotOwner, [], 'not_found', 404],
      [HoldError.HoldExpired, [], 'hold_expired', 410],
      [HoldError.InvalidState, ['released'], 'invalid_state', 409],
      [HoldError.IdempotencyKeyReused, [], 'idempotency_key_reused', 422],
      [HoldError.PaymentFailedBefore, [], 'payment_failed', 402],
      [HoldError.CapacityBelowSold, ['4'], 'capacity_below_sold', 409],
      [HoldError.Fenced, [], 'dependency_unavailable', 503],
    ];
    for (const [code, info, apiCode, status] of expected) {
      const err = holdRefusalToApiError(new HoldRefusal(code, info));
      expect(err.code, HoldError[code]).toBe(apiCode);
      expect(err.status).toBe(status);
      expect(ERRORS[err.code].status).toBe(status);
    }
    expect(holdRefusalToApiError(new HoldRefusal(HoldError.SoldOut, ['3'])).options.extra).toEqual({
      available: 3,
    });
    expect(
      holdRefusalToApiError(new HoldRefusal(HoldError.Fenced, [])).options.headers?.['Retry-After'],
    ).toBe('1');
  });
});
