// The request body limit (413 payload_too_large). A request with a Content-Length is judged
// by its header (Node's parser never delivers more bytes than it declares) and one with
// neither that nor Transfer-Encoding has no body at all; only chunked bodies are counted
// as they arrive, by Hono's bodyLimit. Reading the body through Hono (c.req.raw.body) for
// every request would build a full WHATWG Request, even for a GET.
import type { Context, MiddlewareHandler, Next } from 'hono';
import { bodyLimit as countingBodyLimit } from 'hono/body-limit';
import { ApiError, problemResponse } from '../problem.js';

export function createBodyLimit(maxSize: number) {
  const counting = countingBodyLimit({
    maxSize,
    onError: (c) => problemResponse(c, tooLarge()),
  }) as MiddlewareHandler;
  const tooLarge = () => new ApiError('payload_too_large', `The body exceeds ${maxSize} bytes`);

  /** Throws 413 for a declared length over the limit; calls next, counting a chunked body. */
  return function guard(c: Context, next: Next): Promise<unknown> {
    const length = c.req.header('content-length');
    if (length !== undefined && Number(length) > maxSize) throw tooLarge();
    if (c.req.header('transfer-encoding') !== undefined) {
      // Called from inside the pipeline, not by Hono's chain: its answer is ours to set.
      return Promise.resolve(counting(c, next)).then((answer) => {
        if (answer instanceof Response) c.res = answer;
      });
    }
    return next();
  };
}
