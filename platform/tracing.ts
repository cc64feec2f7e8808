// Tracing (OpenTelemetry): one trace per reservation, from the HTTP request through the
// hold's Lua script, the outbox, the relay, Kafka and the worker to Postgres. Off unless
// OTEL_EXPORTER_OTLP_ENDPOINT is set; then every helper below is one check of `tracer` and
// returns undefined, so the hot path makes no span object and enters no context.
//
// The spans are the engine's own (no auto-instrumentation): a request's span is made by
// the api's pipeline, the rest are children of the span active where the work happens
// (AsyncLocalStorage, set up by the Node SDK), or of a `traceparent` carried across a
// process boundary (an outbox entry's field, a Kafka header). Only a sampled request makes
// spans at all: an unsampled one leaves no context behind, so its children are not
// started as roots and sampled on their own.
import {
  type Attributes,
  type Context,
  context,
  createContextKey,
  type Link,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { parseTraceParent, W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';
import {
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace';
import type { Config } from './config.js';

export type { Span };
export { SpanKind, SpanStatusCode };

type TracingConfig = Pick<
  Config,
  'OTEL_EXPORTER_OTLP_ENDPOINT' | 'OTEL_TRACES_SAMPLER_ARG' | 'OTEL_BSP_SCHEDULE_DELAY'
>;

/** Set by startTracing when an endpoint is configured; undefined: tracing is off. */
let tracer: Tracer | undefined;

/** Whether this process traces: the one check the hot path pays when it does not. */
export const tracingOn = (): boolean => tracer !== undefined;

export interface Tracing {
  /** Exports the spans still waiting and stops (a shutdown step; nothing when off). */
  shutdown(): Promise<void>;
}

/**
 * Starts tracing for `service` (api, reaper, worker) when the configuration names an OTLP
 * endpoint: spans go there over OTLP/HTTP (protobuf) in batches. A request is sampled at
 * OTEL_TRACES_SAMPLER_ARG, unless its `traceparent` decided already (ParentBased: a caller's
 * sampled trace is always continued, an unsampled one never).
 */
export function startTracing(config: TracingConfig, service: string): Tracing {
  const endpoint = config.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (!endpoint) return { shutdown: async () => {} };
  const sdk = new NodeSDK({
    serviceName: `drop-${service}`,
    // Resources from the configuration only: the detectors read the host, the process
    // and the environment at start-up, which nobody asked for.
    autoDetectResources: false,
    resource: resourceFromAttributes({ 'service.namespace': 'drop-engine' }),
    sampler: new ParentBasedSampler({
      root: new TraceIdRatioBasedSampler(config.OTEL_TRACES_SAMPLER_ARG),
    }),
    textMapPropagator: new W3CTraceContextPropagator(),
    spanProcessors: [
      new BatchSpanProcessor({
        // The endpoint is the collector's base, as OTEL_EXPORTER_OTLP_ENDPOINT means it
        // everywhere: traces go to its /v1/traces.
        exporter: new OTLPTraceExporter({ url: `${endpoint.replace(/\/+$/, '')}/v1/traces` }),
        scheduledDelayMillis: config.OTEL_BSP_SCHEDULE_DELAY,
      }),
    ],
    // Traces only: with none of these the SDK would start OTLP metrics and logs from the
    // environment's defaults (the engine's metrics are Prometheus's, its logs pino's).
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [],
  });
  sdk.start();
  tracer = trace.getTracer('drop-engine');
  return {
    async shutdown() {
      tracer = undefined;
      await sdk.shutdown();
    },
  };
}

/** A recording span, or undefined: an unsampled span is dropped at once. */
function recording(span: Span): Span | undefined {
  if (span.isRecording()) return span;
  span.end();
  return undefined;
}

/** The context a W3C `traceparent` names (remote), or undefined when it is not one. */
function remoteContext(traceparent: string | undefined): Context | undefined {
  const parent = traceparent ? parseTraceParent(traceparent) : null;
  return parent ? trace.setSpanContext(ROOT_CONTEXT, { ...parent, isRemote: true }) : undefined;
}

/**
 * The span of a request that came in, continuing the caller's `traceparent` when it sent
 * one (else a new trace, sampled at the ratio); undefined when off or not sampled.
 */
export function startRequestSpan(
  name: string,
  traceparent: string | undefined,
  attributes: Attributes,
): Span | undefined {
  if (!tracer) return undefined;
  const parent = remoteContext(traceparent) ?? ROOT_CONTEXT;
  return recording(tracer.startSpan(name, { kind: SpanKind.SERVER, attributes }, parent));
}

/**
 * A child of the span active here, when there is a recording one: the work of a traced
 * request. Undefined when off, or when this work belongs to no sampled trace.
 */
export function startChildSpan(
  name: string,
  attributes?: Attributes,
  kind: SpanKind = SpanKind.INTERNAL,
): Span | undefined {
  if (!tracer) return undefined;
  const active = context.active();
  if (!trace.getSpan(active)?.isRecording()) return undefined;
  return tracer.startSpan(name, { kind, attributes }, active);
}

/**
 * A child of a `traceparent` carried across processes (an outbox entry, a Kafka header);
 * undefined when off, without one, or when it says not sampled.
 */
export function startRemoteChildSpan(
  name: string,
  traceparent: string | undefined,
  kind: SpanKind,
  attributes?: Attributes,
): Span | undefined {
  if (!tracer) return undefined;
  const parent = remoteContext(traceparent);
  if (!parent) return undefined;
  return recording(tracer.startSpan(name, { kind, attributes }, parent));
}

/** A child of `parent` (a span of this process that is not the active one). */
export function startSpanUnder(
  parent: Span,
  name: string,
  kind: SpanKind,
  attributes?: Attributes,
): Span | undefined {
  if (!tracer) return undefined;
  return tracer.startSpan(name, { kind, attributes }, trace.setSpan(ROOT_CONTEXT, parent));
}

/**
 * A span for work done once for several traces (one Kafka request for many entries):
 * the child of the first and linked to the others, so each trace finds it.
 */
export function startSharedSpan(
  name: string,
  parents: Span[],
  kind: SpanKind,
  attributes?: Attributes,
): Span | undefined {
  const [first] = parents;
  if (!tracer || !first) return undefined;
  const links: Link[] = parents.slice(1).map((p) => ({ context: p.spanContext() }));
  return tracer.startSpan(name, { kind, attributes, links }, trace.setSpan(ROOT_CONTEXT, first));
}

/** Runs `fn` with `span` active: its children, and the trace ids of its log lines. */
export function inSpan<T>(span: Span, fn: () => T): T {
  return context.with(trace.setSpan(context.active(), span), fn);
}

/** The id of the traced request whose work runs here (set with its span, read by holds). */
const REQUEST_ID = createContextKey('drop.request_id');

/**
 * Runs a request's work with its span active and its id at hand: a change it makes carries
 * both into the outbox, so the relay's and the consumers' lines name the request too.
 */
export function inRequestSpan<T>(span: Span, requestId: string, fn: () => T): T {
  return context.with(trace.setSpan(context.active(), span).setValue(REQUEST_ID, requestId), fn);
}

/** The id of the traced request whose work this is; undefined outside one (or untraced). */
export function tracedRequestId(): string | undefined {
  const id = context.active().getValue(REQUEST_ID);
  return typeof id === 'string' ? id : undefined;
}

/**
 * `fn` run outside any request's context: work a request only scheduled for several
 * (a group commit's flush) must not become that one request's child, nor log its trace id.
 * Decided when bound: the caller binds after startTracing, at construction.
 */
export function detached<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R {
  return tracer ? context.bind(ROOT_CONTEXT, fn) : fn;
}

/** The W3C traceparent of a span: what an outbox entry or a Kafka message carries. */
export function traceparentOf(span: Span): string {
  const { traceId, spanId } = span.spanContext();
  // Only recording spans reach here, and the sampler records only what it samples.
  return `00-${traceId}-${spanId}-01`;
}

/** Ends a span that failed, with the error recorded. */
export function endWithError(span: Span, err: unknown): void {
  span.recordException(err instanceof Error ? err : String(err));
  span.setStatus({ code: SpanStatusCode.ERROR, message: String(err) });
  span.end();
}

/** The fields of a log line about traced work done outside its context: a message's. */
export interface TracedLogFields {
  reqId?: string;
  traceId: string;
  spanId: string;
}

/**
 * What a line about the work of `span` carries, with the request that started the trace
 * when it is known: written where the span is not active (a relay's or a consumer's batch
 * holds many traces), so the mixin cannot find it.
 */
export function logFieldsOf(span: Span, requestId: string | undefined): TracedLogFields {
  const { traceId, spanId } = span.spanContext();
  return requestId ? { reqId: requestId, traceId, spanId } : { traceId, spanId };
}

/**
 * The same for a carried `traceparent` whose work made no span of its own (an entry or a
 * message that could not be read): its trace, the span that sent it, and the request.
 */
export function logFieldsOfTraceparent(
  traceparent: string | undefined,
  requestId: string | undefined,
): Partial<TracedLogFields> {
  const parent = traceparent ? parseTraceParent(traceparent) : null;
  const fields: Partial<TracedLogFields> = requestId ? { reqId: requestId } : {};
  if (parent) {
    fields.traceId = parent.traceId;
    fields.spanId = parent.spanId;
  }
  return fields;
}

/**
 * pino's mixin: the trace and span of the active recording span on each log line. A new
 * object each time: pino merges the line's own fields into it.
 */
export function traceFieldsOfLogLine(): { traceId?: string; spanId?: string } {
  const span = trace.getSpan(context.active());
  if (!span?.isRecording()) return {};
  const { traceId, spanId } = span.spanContext();
  return { traceId, spanId };
}
