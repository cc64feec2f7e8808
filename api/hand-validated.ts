// Input of the hot routes, read in their handlers instead of by zod-openapi's validator
// layers (one async layer each, and zod building its result): the same answers (415 for
// another media type, 400 for malformed JSON, 400 validation_failed from the route's own
// schema), with the common good input accepted by a hand-written check. Anything the check
// does not accept is judged by the schema itself, so the two can only differ in speed.
// The route is still registered with app.openapi and documented from its definition
// (handValidated).
import type { OpenAPIHono, RouteConfig, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { AppEnv } from './env.js';
import { validationFailed } from './router.js';

/** zod-openapi's test of a JSON request's Content-Type (parameters allowed). */
const JSON_REQUEST = /^application\/([a-z-.]+\+)?json(;\s*[a-zA-Z0-9-]+=([^;]+))*$/i;

const unsupported = () => new HTTPException(415, { message: 'Unsupported Media Type' });

/** A check that returns the input as the schema would output it, or undefined if unsure. */
type Accept<S extends z.ZodType> = (value: unknown) => z.output<S> | undefined;

function judged<S extends z.ZodType>(target: string, schema: S, value: unknown): z.output<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw validationFailed(target, parsed.error.issues);
  return parsed.data;
}

/** The body of a route whose body is required JSON of `schema`. */
export async function jsonBody<S extends z.ZodType>(
  c: Context,
  schema: S,
  accept: Accept<S>,
): Promise<z.output<S>> {
  const contentType = c.req.header('content-type');
  if (contentType === undefined) {
    if ((await c.req.arrayBuffer()).byteLength > 0) throw unsupported();
    return judged('json', schema, {});
  }
  if (!JSON_REQUEST.test(contentType)) throw unsupported();
  let value: unknown;
  try {
    value = await c.req.json();
  } catch {
    throw new HTTPException(400, { message: 'Malformed JSON in request body' });
  }
  return accept(value) ?? judged('json', schema, value);
}

/** The path parameters of a route whose `request.params` is `schema`. */
export function pathParams<S extends z.ZodType>(
  c: Context,
  schema: S,
  accept: Accept<S>,
): z.output<S> {
  const params = c.req.param() as Record<string, string>;
  return accept(params) ?? judged('param', schema, params);
}

/**
 * A hot route as app.openapi takes it, every route's one way in: documented here in full,
 * served with neither zod-openapi's validator layers nor the route's middleware, because the
 * handler reads its own input (above) and its principal (principalOf refuses a request
 * without one, as requireUser would).
 */
export function handValidated<R extends RouteConfig>(
  app: OpenAPIHono<AppEnv>,
  route: R,
): Omit<R, 'request' | 'middleware'> & { hide: true } {
  const { middleware: _guardedInHandler, ...document } = route;
  app.openAPIRegistry.registerPath(document);
  const { request: _readInHandler, ...served } = document;
  return { ...served, hide: true } as Omit<R, 'request' | 'middleware'> & { hide: true };
}
