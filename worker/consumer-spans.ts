// A consumer's part of a traced reservation's trace: for each message whose `traceparent`
// header says a traced request made the change (the relay sets it, relay-spans.ts), a
// span of the group's processing, the child of the relay's span; and under each, the span
// of the Postgres statement the batch was written in. One statement writes a whole batch,
// so every traced message's trace gets its own span of that statement (same timing, the
// batch's size as an attribute): each trace reads complete on its own. Untraced messages,
// and all messages with tracing off, cost a property read at most.
import type { KafkaMessage } from 'kafkajs';
import {
  endWithError,
  type Span,
  SpanKind,
  startRemoteChildSpan,
  startSpanUnder,
} from '../platform/tracing.js';

function traceparentOf(message: KafkaMessage): string | undefined {
  const header = message.headers?.traceparent;
  if (header === undefined) return undefined;
  const value = Array.isArray(header) ? header[0] : header;
  return value === undefined ? undefined : String(value);
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
