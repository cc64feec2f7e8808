// Responses for the hot routes with their headers kept a plain object: @hono/node-server
// writes such a response's headers as they are, where a Headers object (what c.json makes
// of a response with more than one header) is built and then copied out again.
import type { TypedResponse } from 'hono';
import type { ContentfulStatusCode, StatusCode } from 'hono/utils/http-status';
import type { JSONParsed } from 'hono/utils/types';

const JSON_ONLY = { 'content-type': 'application/json' } as const;

declare const serialized: unique symbol;
/** A JSON text known to encode a T: made once, sent many times (see jsonResponse). */
export type Serialized<T> = string & { readonly [serialized]: T };
export const serialize = <T>(value: T) => JSON.stringify(value) as Serialized<T>;

/**
 * The JSON content type, then the handler's headers copied key by key. An object spread
 * (`{ ...JSON_ONLY, ...headers }`) made the head slower to write: availability was 10 %
 * faster with the copy (A/B in one api process; BENCHMARKS.md, issue 13).
 */
function withJson(headers: Record<string, string>): Record<string, string> {
  const all: Record<string, string> = { 'content-type': JSON_ONLY['content-type'] };
  for (const name in headers) all[name] = headers[name] as string;
  return all;
}

type JsonResponse<T, U extends ContentfulStatusCode> = Response &
  TypedResponse<JSONParsed<T>, U, 'json'>;

/**
 * c.json(object, status, headers) with plain-object headers. Typed like c.json, so the route's OpenAPI response schema still checks the body. The body
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
    headers: headers ? withJson(headers) : JSON_ONLY,
  }) as JsonResponse<T, U>;
}

/** c.body(null, status, headers) with the headers kept a plain object (see jsonResponse). */
export function emptyResponse<U extends StatusCode>(
  status: U,
  headers: Record<string, string> = {},
): Response & TypedResponse<Record<never, never>, U, 'body'> {
  return new Response(null, { status, headers }) as Response &
    TypedResponse<Record<never, never>, U, 'body'>;
}

/** Whether the request's If-None-Match names `etag` (weak or strong): answer 304 then. */
export function notModified(ifNoneMatch: string | undefined, etag: string): boolean {
  return !!ifNoneMatch?.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}
