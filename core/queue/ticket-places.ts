// A fan's place as their queue ticket and the event's view tell it, without a per-user read
// of Redis (SPEC §7): the same QueuePlace the queueTicket script gives
// (lua/includes/queueTicket.lua), or undefined where only Redis knows the answer.
import type { EventView } from '../reservations/holds.js';
import type { QueuePlace } from './queue.js';
import type { QueueTicketClaims } from './tickets.js';

/** The pre-queue's places are draws below this (lua/joinQueue-5.lua). */
const PRE_QUEUE_END = 2 ** 52;

/** What a ticket binds of a place (tickets.ts). */
export function claimsOf(place: QueuePlace): QueueTicketClaims {
  return {
    eventId: place.eventId,
    userId: place.userId,
    place: place.place || '0',
    turn: place.turn,
    joinedAt: place.joinedAt,
    passExpiresAt: place.passExpiresAt ?? 0,
  };
}

/** Users admitted per second: measured since the first admission, else the setting. */
function admissionRate(queue: EventView['queue'], now: number): number {
  if (queue.admittedTotal > 0 && queue.firstAdmitAt !== null) {
    const rate = queue.admittedTotal / Math.max(1, (now - queue.firstAdmitAt) / 1000);
    return Math.round(rate * 1000) / 1000;
  }
  return queue.admitPerSecond;
}

/**
 * The place, or undefined when the view cannot tell: the fan was admitted since the ticket
 * was given (Redis has the pass's expiry), the sale opened since (Redis has the turn), or
 * the event is fenced after a Redis restart.
 * Each happens once per fan; every other poll is answered here.
 */
export function placeOfTicket(
  claims: QueueTicketClaims,
  view: EventView,
  now: number,
): QueuePlace | undefined {
  const base = {
    eventId: claims.eventId,
    userId: claims.userId,
    joinedAt: claims.joinedAt,
    place: claims.place,
    turn: claims.turn,
  };
  // After a Redis loss the queue may not be the one the ticket was given in: Redis says.
  if (view.fenced) return undefined;
  const out = { position: 0, aheadOfYou: 0, estimatedWaitSeconds: 0 };
  if (claims.passExpiresAt > 0) {
    const status = claims.passExpiresAt > now ? 'admitted' : 'expired';
    return { ...base, ...out, status, passExpiresAt: claims.passExpiresAt };
  }
  const { status: eventStatus } = view.state;
  if (eventStatus === 'closed' || eventStatus === 'cancelled') {
    return { ...base, ...out, status: 'closed', passExpiresAt: null };
  }
  let position: number;
  if (claims.turn > 0) {
    position = claims.turn - view.queue.admittedTotal;
    if (position < 1) return undefined;
  } else if (!view.queue.opened) {
    // The pre-queue is ordered by a uniform draw, fixed at the join: the draw's expected
    // rank among those waiting. Exact from the open on, when the fan learns their turn.
    const share = Number(claims.place) / PRE_QUEUE_END;
    position = Math.min(
      Math.max(1, view.queue.waiting),
      1 + Math.floor(share * Math.max(0, view.queue.waiting - 1)),
    );
  } else {
    return undefined;
  }
  const rate = admissionRate(view.queue, now);
  const soldOut = view.queue.soldOut;
  return {
    ...base,
    status: soldOut ? 'sold_out' : 'waiting',
    position,
    aheadOfYou: position - 1,
    estimatedWaitSeconds: !soldOut && rate > 0 ? Math.ceil(position / rate) : 0,
    passExpiresAt: null,
  };
}
