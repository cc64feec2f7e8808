// The status lists have one source each (drizzle/schema): the Redis holds' list is the
// record's plus `confirming` (a payment under way, recorded as held).
import { describe, expect, it } from 'vitest';
import { INITIAL_STATUSES } from '../../core/catalog/status.js';
import { HOLD_STATUSES } from '../../core/reservations/hold.js';
import { EVENT_STATUSES, RESERVATION_STATUSES } from '../../drizzle/schema/index.js';

describe('status lists', () => {
  it('a hold status is a reservation status, or confirming', () => {
    expect([...HOLD_STATUSES].sort()).toEqual([...RESERVATION_STATUSES, 'confirming'].sort());
  });
  it('an event is created in one of its statuses', () => {
    for (const s of INITIAL_STATUSES) expect(EVENT_STATUSES).toContain(s);
  });
});
