// The JSON body of a hot route, read in its handler instead of by zod-openapi's two
// validator layers: the same answers (415 for another media type, 400 for malformed JSON,
// 400 validation_failed from the route's schema), with the common good body accepted by a
// hand-written check that never builds zod's result. Anything the check does not accept is
// judged by the schema itself, so the two can only differ in speed.
import type { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { validationFailed } from './router.js';

/** zod-openapi's test of a JSON request's Content-Type (parameters allowed). */
const JSON_REQUEST = /^application\/([a-z-.]+\+)?json(;\s*[a-zA-Z0-9-]+=([^;]+))*$/i;

const unsupported = () => new HTTPException(415, { message: 'Unsupported Media Type' });

/**
 * The body of a route whose body is required JSON of `schema`. `accept` returns the parsed
 * value for the bodies it is sure of (a subset of what the schema accepts, shaped as the
 * schema's output), or undefined to let the schema decide.
 */
export async function jsonBody<S extends z.ZodType>(
  c: Context,
  schema: S,
  accept: (value: unknown) => z.output<S> | undefined,
): Promise<z.output<S>> {
  const contentType = c.req.header('content-type');
  let value: unknown = {};
  if (contentType === undefined) {
    if ((await c.req.arrayBuffer()).byteLength > 0) throw unsupported();
  } else {
    if (!JSON_REQUEST.test(contentType)) throw unsupported();
    try {
      value = await c.req.json();
    } catch {
      throw new HTTPException(400, { message: 'Malformed JSON in request body' });
    }
    const accepted = accept(value);
    if (accepted !== undefined) return accepted;
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw validationFailed('json', parsed.error.issues);
  return parsed.data;
}
