// How the hold scripts' refusals read over HTTP (SPEC §2 codes).
import { HoldError, HoldRefusal } from '../core/reservations/hold.js';
import { ApiError } from './problem.js';

export function holdRefusalToApiError(refusal: HoldRefusal): ApiError {
  const [a, b] = refusal.info;
  switch (refusal.code) {
    case HoldError.SoldOut:
      return new ApiError('sold_out', `Only ${a} left in this category`, {
        extra: { available: Number(a) },
      });
    case HoldError.LimitExceeded:
      return new ApiError('limit_exceeded', `At most ${a} tickets per person; you have ${b}`, {
        extra: { limit: Number(a), current: Number(b) },
      });
    case HoldError.NotOnSale:
      return new ApiError('not_on_sale', `The event is ${a}, not on sale`, {
        extra: { eventStatus: a },
      });
    case HoldError.EventNotFound:
      return new ApiError('not_found', 'No such event on sale');
    case HoldError.CategoryNotFound:
      return new ApiError('not_found', 'No such category in this event');
    case HoldError.HoldNotFound:
    case HoldError.NotOwner:
      // Someone else's reservation is as unknown as a missing one (no BOLA oracle).
      return new ApiError('not_found', 'No such reservation');
    case HoldError.HoldExpired:
      return new ApiError('hold_expired', 'The hold expired; its tickets went back on sale');
    case HoldError.InvalidState:
      return new ApiError(
        'invalid_state',
        `The reservation is ${a === 'confirming' ? 'being paid' : a}`,
        {
          extra: { reservationStatus: a === 'confirming' ? 'held' : a },
        },
      );
    case HoldError.IdempotencyKeyReused:
      return new ApiError(
        'idempotency_key_reused',
        'This Idempotency-Key was used with another request',
      );
    case HoldError.PaymentFailedBefore:
      return new ApiError('payment_failed', 'The payment under this Idempotency-Key failed');
    case HoldError.Fenced:
      return new ApiError(
        'dependency_unavailable',
        'The event’s live stock is being checked after a Redis restart; retry shortly',
        { headers: { 'Retry-After': '1' } },
      );
    case HoldError.QueuePassRequired:
      return new ApiError(
        'queue_pass_required',
        'This event has a waiting room: join its queue and send your pass as Queue-Pass',
      );
    case HoldError.QueuePassInvalid:
      return new ApiError(
        'queue_pass_invalid',
        'The Queue-Pass is not a valid pass of yours for this event (expired or altered?)',
      );
    case HoldError.CategorySeated:
      return seatedInput('The category is seated: ask for seats, or quantity with adjacent');
    case HoldError.CategoryNotSeated:
      return seatedInput('The category has no seats: ask for a quantity');
    case HoldError.UnknownSeats:
      return seatedInput(`No such seats in this category: ${refusal.info.join(', ')}`, {
        unknown: refusal.info,
      });
    case HoldError.SeatsUnavailable:
      return new ApiError('seats_unavailable', 'Some of the seats are taken or blocked', {
        extra: { unavailable: refusal.info },
      });
    case HoldError.NoAdjacentSeats:
      return new ApiError('no_adjacent_seats', 'No row has that many adjacent seats left');
    case HoldError.SingleSeatGap:
      return new ApiError('single_seat_gap', 'The choice would leave a lone empty seat');
    case HoldError.CapacityBelowSold:
      return new ApiError('capacity_below_sold', `${a} tickets are held or sold already`, {
        extra: { heldAndSold: Number(a) },
      });
    default:
      return new ApiError('internal_error', 'The reservation could not be processed', {
        cause: refusal,
      });
  }
}

/** A seated reserve's input the category cannot take: a validation failure of the body. */
function seatedInput(detail: string, extra: Record<string, unknown> = {}) {
  return new ApiError('validation_failed', detail, {
    extra: { errors: [{ in: 'body', field: 'seats', message: detail }], ...extra },
  });
}

/** Runs `fn`, turning hold refusals into their HTTP errors. */
export async function asApi<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof HoldRefusal) throw holdRefusalToApiError(err);
    throw err;
  }
}
