// Served by @hono/node-server, a request carries Node's own message and response objects
// (c.env.incoming / c.env.outgoing). Reading a header through Hono (c.req.header) makes the
// adapter build a WHATWG Headers object of every header, and setting one on c.res turns the
// adapter's plain-object response into a validated Headers list: the profile of
// `npm run bench` had those two at over a tenth of the api's CPU on /healthz. These
// helpers go to Node's objects when there are some, and to Hono's otherwise (app.request()
// in tests, other runtimes), so the behaviour is the same either way.
import type { HttpBindings } from '@hono/node-server';
import type { Context, TypedResponse } from 'hono';
import type { ContentfulStatusCode, StatusCode } from 'hono/utils/http-status';
import type { JSONParsed } from 'hono/utils/types';

function bindings(c: Context): Partial<HttpBindings> | undefined {
  return c.env as Partial<HttpBindings> | undefined;
}

/** One request header by its lower-case name (the first value if it was sent twice). */
export function requestHeader(c: Context, name: string): string | undefined {
  const incoming = bindings(c)?.incoming;
  if (!incoming) return c.req.header(name);
  const value = incoming.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Whether Node's HTTP server serves this request (not app.request() or another runtime). */
export function servedByNode(c: Context): boolean {
  return bindings(c)?.incoming !== undefined;
}

/** Node's response for this request, when Node serves it. */
export function nodeResponse(c: Context) {
  return bindings(c)?.outgoing;
}

const JSON_ONLY = { 'content-type': 'application/json' } as const;

declare const serialized: unique symbol;
/** A JSON text known to encode a T: made once, sent many times (see jsonResponse). */
export type Serialized<T> = string & { readonly [serialized]: T };
export const serialize = <T>(value: T) => JSON.stringify(value) as Serialized<T>;

type JsonResponse<T, U extends ContentfulStatusCode> = Response &
  TypedResponse<JSONParsed<T>, U, 'json'>;

/**
 * c.json(object, status, headers) for the hot routes: Hono turns a response with more than
 * one header into a Headers object, this keeps them a plain object (Node writes it as is).
 * Typed like c.json, so the route's OpenAPI response schema still checks the body. The body
 * may come already serialised.
 */
export function jsonResponse<T, U extends ContentfulStatusCode>(
  body: { json: Serialized<T> } | { object: T },
  status: U,
  headers?: Record<string, string>,
): JsonResponse<T, U> {
  const text = 'json' in body ? body.json : JSON.stringify(body.object);
  return new Response(text, {
    status,
    headers: headers ? { ...JSON_ONLY, ...headers } : JSON_ONLY,
  }) as JsonResponse<T, U>;
}

/** c.body(null, status, headers) with the headers kept a plain object (see jsonResponse). */
export function emptyResponse<U extends StatusCode>(
  status: U,
  headers: Record<string, string>,
): Response & TypedResponse<null, U, 'body'> {
  return new Response(null, { status, headers }) as Response & TypedResponse<null, U, 'body'>;
}
