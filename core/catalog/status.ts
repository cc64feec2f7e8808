// The event status state machine (SPEC §2): draft → on_sale ⇄ paused → closed, and
// cancelled from any status but closed. Staying in the same status is no move at all.
import type { EventStatus } from '../../drizzle/schema/index.js';

const MOVES: Record<EventStatus, readonly EventStatus[]> = {
  draft: ['on_sale', 'cancelled'],
  on_sale: ['paused', 'closed', 'cancelled'],
  paused: ['on_sale', 'closed', 'cancelled'],
  closed: [],
  cancelled: [],
};

export const canMove = (from: EventStatus, to: EventStatus) =>
  from === to || MOVES[from].includes(to);

/** Statuses an event may be created in. */
export const INITIAL_STATUSES = [
  'draft',
  'on_sale',
  'paused',
] as const satisfies readonly EventStatus[];
