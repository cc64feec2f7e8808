// The request body limit, without the cost Hono's bodyLimit puts on every request: it reads
// `c.req.raw.body`, which makes @hono/node-server build a full WHATWG Request (headers,
// AbortSignal, a web stream over the socket) even for a GET, and then the JSON body can no
// longer be read straight from the socket. The profile of `npm run bench` had that at 10 %
// of the api's CPU. Served by Node, a request with a Content-Length is judged by its header
// (Node's parser never delivers more bytes than it declares) and one with neither that nor
// Transfer-Encoding has no body at all; only chunked bodies, and requests that did not come
// through Node's HTTP server (app.request in tests), go through Hono's counting bodyLimit.
import type { MiddlewareHandler } from 'hono';
import { bodyLimit as countingBodyLimit } from 'hono/body-limit';
import { requestHeader, servedByNode } from '../node-http.js';

type Options = Parameters<typeof countingBodyLimit>[0];

export function bodyLimit(options: Options): MiddlewareHandler {
  const counting = countingBodyLimit(options);
  return (c, next) => {
    if (!servedByNode(c)) return counting(c, next);
    const length = requestHeader(c, 'content-length');
    const declaredTooLong = length !== undefined && Number(length) > options.maxSize;
    if (declaredTooLong || requestHeader(c, 'transfer-encoding') !== undefined)
      return counting(c, next);
    return next();
  };
}
