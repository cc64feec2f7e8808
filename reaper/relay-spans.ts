// The relay's part of a traced reservation's trace: for each outbox entry that carries a
// traceparent (a traced request made the change), a span from its read to Kafka's
// acknowledgement, the child of the request's hold span; its context is what the Kafka
// message's `traceparent` header carries, so the consumers' spans are its children. The
// Kafka request that carries a batch is one span for all of them: the child of the first
// traced entry, linked to the others. The id of the request that made the change travels
// beside the traceparent (the `x-request-id` header), and each traced entry Kafka took is
// one log line with both: a reservation's lines are found by its trace or request id.
// Untraced entries make no span, no header and no line.
import { outboxRequestId, outboxTraceparent } from '../core/reservations/changes.js';
import type { Logger } from '../platform/logger.js';
import {
  endWithError,
  logFieldsOf,
  logFieldsOfTraceparent,
  type Span,
  SpanKind,
  startRemoteChildSpan,
  startSharedSpan,
  type TracedLogFields,
  traceparentOf,
} from '../platform/tracing.js';

/** The Kafka headers of a traced entry's message: its span's context and the request's id. */
export type TraceHeaders = { traceparent: string; 'x-request-id'?: string };

/** The span of one outbox entry on its way to `topic`, when a traced request wrote it. */
export function startEntrySpan(topic: string, id: string, fields: string[]): Span | undefined {
  const traceparent = outboxTraceparent(fields);
  if (!traceparent) return undefined;
  // Stream ids start with the ms the entry was added: how long it waited for the relay.
  const addedMs = Number(id.slice(0, id.indexOf('-')));
  return startRemoteChildSpan(`create ${topic}`, traceparent, SpanKind.PRODUCER, {
    'messaging.system': 'kafka',
    'messaging.operation.type': 'create',
    'messaging.destination.name': topic,
    'drop.outbox.entry_id': id,
    'drop.outbox.wait_ms': Math.max(0, Date.now() - addedMs),
    // appendOutbox.lua's first fields: type, reservationId.
    'drop.change.type': fields[1] ?? '',
    'drop.reservation_id': fields[3] ?? '',
  });
}

/** The headers of a traced entry's message, its span the consumers' parent. */
export function traceHeaders(span: Span, fields: string[]): TraceHeaders {
  const requestId = outboxRequestId(fields);
  const traceparent = traceparentOf(span);
  return requestId ? { traceparent, 'x-request-id': requestId } : { traceparent };
}

/** The span of the Kafka request carrying the batch, in the traces of all its traced entries. */
export function startSendSpan(topic: string, entries: Span[], messages: number) {
  return startSharedSpan(`send ${topic}`, entries, SpanKind.CLIENT, {
    'messaging.system': 'kafka',
    'messaging.operation.type': 'send',
    'messaging.destination.name': topic,
    'messaging.batch.message_count': messages,
  });
}

/** Ends the batch's spans: Kafka acknowledged it (and the outbox let it go), or `err`. */
export function endRelaySpans(entries: Span[], send: Span | undefined, err?: unknown) {
  for (const span of send ? [send, ...entries] : entries) {
    if (err === undefined) span.end();
    else endWithError(span, err);
  }
}

/**
 * One line per traced entry Kafka took (`entries[i]` made of `fields[i]`): the change, its
 * trace, its span and the request that made it.
 */
export function logRelayed(logger: Logger, entries: Span[], fields: string[][]): void {
  if (!logger.isLevelEnabled('info')) return;
  entries.forEach((span, i) => {
    const entry = fields[i] ?? [];
    logger.info(
      {
        ...logFieldsOf(span, outboxRequestId(entry)),
        // appendOutbox.lua's first fields: type, reservationId.
        reservationId: entry[3],
        type: entry[1],
      },
      'change relayed',
    );
  });
}

/** The trace fields of an outbox entry's line when no span was made for it (unreadable). */
export function entryLogFields(fields: string[]): Partial<TracedLogFields> {
  return logFieldsOfTraceparent(outboxTraceparent(fields), outboxRequestId(fields));
}
