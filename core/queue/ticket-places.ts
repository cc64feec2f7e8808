// A fan's place as their queue ticket and the event's view tell it, without a per-user read
// of Redis (SPEC §7): the same QueuePlace the queueTicket script gives
// (lua/includes/queueTicket.lua), or undefined where only Redis knows the answer.
import type { EventView } from '../reservations/event-stock.js';
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
  // One object literal per answer (no spreads): this runs on every poll of a crowd.
  const place = (
    status: QueuePlace['status'],
    position: number,
    estimatedWaitSeconds: number,
    passExpiresAt: number | null,
  ): QueuePlace => ({
    eventId: claims.eventId,
    userId: claims.userId,
    status,
    position,
    aheadOfYou: position > 0 ? position - 1 : 0,
    estimatedWaitSeconds,
    joinedAt: claims.joinedAt,
    passExpiresAt,
    place: claims.place,
    turn: claims.turn,
  });
  // After a Redis loss the queue may not be the one the ticket was given in: Redis says.
  if (view.fenced) return undefined;
  if (claims.passExpiresAt > 0) {
    return place(claims.passExpiresAt > now ? 'admitted' : 'expired', 0, 0, claims.passExpiresAt);
  }
  const { status: eventStatus } = view.state;
  if (eventStatus === 'closed' || eventStatus === 'cancelled') return place('closed', 0, 0, null);
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
  if (view.queue.soldOut) return place('sold_out', position, 0, null);
  const rate = admissionRate(view.queue, now);
  return place('waiting', position, rate > 0 ? Math.ceil(position / rate) : 0, null);
}
