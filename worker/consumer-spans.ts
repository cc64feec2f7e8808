// A consumer's part of a traced reservation's trace: for each message whose `traceparent`
// header says a traced request made the change (the relay sets it, relay-spans.ts), a
// span of the group's processing, the child of the relay's span; and under each, the span
// of the Postgres statement the batch was written in. One statement writes a whole batch,
// so every traced message's trace gets its own span of that statement (same timing, the
// batch's size as an attribute): each trace reads complete on its own. Once the batch is
// written, each traced change is one log line of the group with its trace, its span and
// the id of the request that made it (the `x-request-id` header the relay sets beside the
// traceparent). Untraced messages, and all messages with tracing off, cost a property read
// at most.
import type { KafkaMessage } from 'kafkajs';
import { parseReservationChange, type ReservationChange } from '../core/reservations/changes.js';
import type { Logger } from '../platform/logger.js';
import {
  endWithError,
  logFieldsOf,
  logFieldsOfTraceparent,
  type Span,
  SpanKind,
  startRemoteChildSpan,
  startSpanUnder,
  type TracedLogFields,
} from '../platform/tracing.js';

function headerOf(message: KafkaMessage, name: string): string | undefined {
  const header = message.headers?.[name];
  if (header === undefined) return undefined;
  const value = Array.isArray(header) ? header[0] : header;
  return value === undefined ? undefined : String(value);
}

const traceparentOf = (message: KafkaMessage) => headerOf(message, 'traceparent');
const requestIdOf = (message: KafkaMessage) => headerOf(message, 'x-request-id');

/** A traced change a consumer group handled: its processing span and its message. */
export interface TracedChange {
  span: Span;
  message: KafkaMessage;
  /** the change as the group read it; read again for the line when the group did not */
  change?: ReservationChange | null;
  /** what else the line says (the notification the change became) */
  outcome?: Record<string, unknown>;
}

/** The span of a consumer group's processing of one traced message; undefined otherwise. */
export function startProcessSpan(
  group: string,
  topic: string,
  partition: number,
  message: KafkaMessage,
): Span | undefined {
  const traceparent = traceparentOf(message);
  if (!traceparent) return undefined;
  return startRemoteChildSpan(`process ${topic}`, traceparent, SpanKind.CONSUMER, {
    'messaging.system': 'kafka',
    'messaging.operation.type': 'process',
    'messaging.destination.name': topic,
    'messaging.consumer.group.name': group,
    'messaging.destination.partition.id': String(partition),
    'messaging.kafka.offset': Number(message.offset),
  });
}

/** Under each of `parents`, the span of the one Postgres statement that writes the batch. */
export function startWriteSpans(parents: Span[], operation: string, batchSize: number): Span[] {
  const spans: Span[] = [];
  for (const parent of parents) {
    const span = startSpanUnder(parent, `postgres ${operation}`, SpanKind.CLIENT, {
      'db.system.name': 'postgresql',
      'db.operation.name': operation,
      'db.operation.batch.size': batchSize,
    });
    if (span) spans.push(span);
  }
  return spans;
}

/** Ends spans: the work succeeded, or failed with `err`. */
export function endSpans(spans: Span[], err?: unknown): void {
  for (const span of spans) {
    if (err === undefined) span.end();
    else endWithError(span, err);
  }
}

/**
 * One line per traced change the group wrote (`what`: what became of it), outside the
 * spans' context (a batch holds many traces): each line names its own.
 */
export function logTracedChanges(
  logger: Logger,
  group: string,
  handled: TracedChange[],
  what: string,
): void {
  if (!logger.isLevelEnabled('info')) return;
  for (const { span, message, change, outcome } of handled) {
    const step = change === undefined ? parseReservationChange(message.value) : change;
    logger.info(
      {
        ...logFieldsOf(span, requestIdOf(message)),
        group,
        reservationId: step?.reservationId,
        type: step?.type,
        seq: step?.seq,
        offset: message.offset,
        ...outcome,
      },
      what,
    );
  }
}

/** The trace fields of a message's line when no span was made for it (unreadable). */
export function messageLogFields(message: KafkaMessage): Partial<TracedLogFields> {
  return logFieldsOfTraceparent(traceparentOf(message), requestIdOf(message));
}
