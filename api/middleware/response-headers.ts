// The headers every response carries: the request id and the security headers (the set
// and values of Hono's secureHeaders defaults). Served by Node, they go on Node's response
// before the handler runs — a handler's own header of the same name still wins, since
// Node merges the adapter's headers over them — so no response is turned into a Headers
// object just to carry them (see node-http.ts). Elsewhere they are set on c.res afterwards.
import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../env.js';
import { nodeResponse } from '../node-http.js';

const SECURITY_HEADERS: readonly (readonly [string, string])[] = [
  ['Cross-Origin-Resource-Policy', 'same-origin'],
  ['Cross-Origin-Opener-Policy', 'same-origin'],
  ['Origin-Agent-Cluster', '?1'],
  ['Referrer-Policy', 'no-referrer'],
  ['Strict-Transport-Security', 'max-age=15552000; includeSubDomains'],
  ['X-Content-Type-Options', 'nosniff'],
  ['X-DNS-Prefetch-Control', 'off'],
  ['X-Download-Options', 'noopen'],
  ['X-Frame-Options', 'SAMEORIGIN'],
  ['X-Permitted-Cross-Domain-Policies', 'none'],
  ['X-XSS-Protection', '0'],
];

export const responseHeaders = createMiddleware<AppEnv>(async (c, next) => {
  const outgoing = nodeResponse(c);
  if (outgoing) {
    for (const [name, value] of SECURITY_HEADERS) outgoing.setHeader(name, value);
    outgoing.setHeader('X-Request-Id', c.get('requestId'));
    return next();
  }
  await next();
  const headers = c.res.headers;
  for (const [name, value] of SECURITY_HEADERS) headers.set(name, value);
  headers.set('X-Request-Id', c.get('requestId'));
});
