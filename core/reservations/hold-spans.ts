// The span of one hold change (a Lua script) made for a traced request: a child of the
// request's span, named by the script, with the event, the reservation and what the change
// came to. A refusal (sold out, not yours) is an answer, not a failure: it is the span's
// outcome; only an error (Redis down, a bug) marks the span failed. Undefined, and so no
// work at all, for a request that is not traced.
import { endWithError, type Span, startChildSpan, tracingOn } from '../../platform/tracing.js';
import { HoldError, HoldRefusal } from './hold.js';

export function startHoldSpan(script: string, eventId: string | undefined): Span | undefined {
  // Checked first: off, not even the name and the attributes are built.
  if (!tracingOn()) return undefined;
  return startChildSpan(`hold ${script}`, { 'drop.script': script, 'drop.event_id': eventId });
}

/** Records how a group commit sent the request (reserve-batch.ts): alone, or in a group. */
export const groupedInto = (span: Span) => (size: number) => {
  span.setAttributes({
    'drop.script': size === 1 ? 'reserve' : 'reserveBatch',
    'drop.reserve.group_size': size,
  });
};

/** Ends the span of a change that was made (or replayed). */
export function endHoldSpan(
  span: Span,
  outcome: 'placed' | 'replayed' | 'changed',
  reservationId: string,
) {
  span.setAttributes({ 'drop.hold.outcome': outcome, 'drop.reservation_id': reservationId });
  span.end();
}

/** Ends the span of a change the script refused, or that failed. */
export function endRefusedHoldSpan(span: Span, err: unknown) {
  if (!(err instanceof HoldRefusal)) return endWithError(span, err);
  span.setAttribute('drop.hold.outcome', HoldError[err.code] ?? String(err.code));
  span.end();
}
