// A traced request's span (platform/tracing.ts): the caller's W3C `traceparent` continued,
// or a new trace sampled at OTEL_TRACES_SAMPLER_ARG. Named and labelled by the route
// pattern that answered (`POST /v1/reservations/:id/confirm`), never the raw URL, as the
// metrics are. Everything the request does runs with it active, so the hold's span and the
// log lines of the request join its trace; its id goes along, for the changes it makes to
// carry into the outbox with the trace. Requests answered before the app (the crowd
// lane) are not traced: they read memory and change nothing.
import type { Context } from 'hono';
import {
  inRequestSpan,
  type Span,
  SpanStatusCode,
  startRequestSpan,
} from '../../platform/tracing.js';
import type { AppEnv } from '../env.js';
import { matchedRoute } from './matched-route.js';

/**
 * `serve` run inside the request's span when the request is sampled; as it is otherwise.
 * Only called with tracing on.
 */
export function servedInSpan(c: Context<AppEnv>, serve: () => Promise<void>): Promise<void> {
  const method = c.req.method;
  const requestId = c.env.requestId;
  const span = startRequestSpan(method, c.req.header('traceparent'), {
    'http.request.method': method,
    'drop.request_id': requestId,
  });
  if (!span) return serve();
  return inRequestSpan(span, requestId, serve).finally(() => answered(span, c));
}

function answered(span: Span, c: Context<AppEnv>) {
  const route = matchedRoute(c);
  const status = c.res.status;
  span.updateName(`${c.req.method} ${route}`);
  span.setAttributes({ 'http.route': route, 'http.response.status_code': status });
  // A server span fails on a 5xx only: a 4xx is the caller's mistake (OTel's HTTP rules).
  if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
  span.end();
}
