// c.var.requestId: the caller's X-Request-Id when it is a sane token (so a trace crosses
// services), else a fresh UUID. Echoed on the response by responseHeaders.
import { randomUUID } from 'node:crypto';
import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../env.js';
import { requestHeader } from '../node-http.js';

/** Hono's rule for an acceptable id: word characters, '-' and '=', at most 255. */
const ACCEPTABLE = /^[\w\-=]{1,255}$/;

export const requestId = createMiddleware<AppEnv>((c, next) => {
  const given = requestHeader(c, 'x-request-id');
  c.set('requestId', given !== undefined && ACCEPTABLE.test(given) ? given : randomUUID());
  return next();
});
