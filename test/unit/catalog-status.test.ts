// The event status state machine (core/catalog/status.ts, SPEC §2).
import { describe, expect, it } from 'vitest';
import { canMove, INITIAL_STATUSES } from '../../core/catalog/status.js';
import { EVENT_STATUSES, type EventStatus } from '../../drizzle/schema/index.js';

/** Every move allowed, as SPEC §2 draws them (staying put aside). */
const ALLOWED: Record<EventStatus, EventStatus[]> = {
  draft: ['on_sale', 'cancelled'],
  on_sale: ['paused', 'closed', 'cancelled'],
  paused: ['on_sale', 'closed', 'cancelled'],
  closed: [],
  cancelled: [],
};

describe('event status moves', () => {
  it.each(EVENT_STATUSES)('from %s: to itself and to the statuses the spec allows only', (from) => {
    const reachable = EVENT_STATUSES.filter((to) => canMove(from, to));
    expect(reachable.sort()).toEqual([from, ...ALLOWED[from]].sort());
  });

  it('nothing moves back to draft, and closed and cancelled are final', () => {
    for (const from of EVENT_STATUSES) {
      if (from !== 'draft') expect(canMove(from, 'draft')).toBe(false);
      if (from === 'closed' || from === 'cancelled')
        expect(EVENT_STATUSES.filter((to) => to !== from && canMove(from, to))).toEqual([]);
    }
  });

  it('an event is created in a status it can leave', () => {
    for (const s of INITIAL_STATUSES)
      expect(EVENT_STATUSES.some((to) => to !== s && canMove(s, to))).toBe(true);
  });
});
