// The cross-cutting work of every request in one pass: one async layer instead of one per
// concern (each layer of Hono's chain is a closure, a promise and a few microseconds).
// In order:
//   product routes (/v1) only: load shedding, client ip, caller (bearer token), rate limits;
//   every route: the deadline (504) and the body limit (413) around the handler;
//   then the metrics and the log line, for refusals too;
//   with tracing on, all of it inside the request's span (request-span.ts).
// The request id and security headers are the server adapter's (http-server.ts).
import type { Context, MiddlewareHandler } from 'hono';
import { createMiddleware } from 'hono/factory';
import type { AccessTokens } from '../../core/auth/access-tokens.js';
import { tracingOn } from '../../platform/tracing.js';
import { callerOf } from '../auth/guards.js';
import type { AppEnv } from '../env.js';
import { clientIpOf } from '../protection/client-ip.js';
import type { LoadShedder } from '../protection/load-shedding.js';
import type { RateLimits } from '../protection/rate-limits.js';
import type { createBodyLimit } from './body-limit.js';
import type { Deadline } from './deadline.js';
import type { createRequestObserver } from './observe.js';
import { servedInSpan } from './request-span.js';

export interface PipelineParts {
  observe: ReturnType<typeof createRequestObserver>;
  shedder: LoadShedder;
  deadline: Deadline;
  bodyLimit: ReturnType<typeof createBodyLimit>;
  tokens: AccessTokens;
  rateLimits: RateLimits;
  trustProxy: boolean;
  /** The app's error handler: a refusal here is answered like one from a handler. */
  answerError: (err: Error, c: Context<AppEnv>) => Response | Promise<Response>;
}

const PRODUCT_PREFIX = '/v1/';

export function requestPipeline(parts: PipelineParts): MiddlewareHandler<AppEnv> {
  const { observe, shedder, deadline, bodyLimit, tokens, rateLimits, answerError } = parts;
  const limit = rateLimits.requests;

  async function serve(c: Context<AppEnv>, next: () => Promise<void>) {
    const started = performance.now();
    c.set('requestId', c.env.requestId);
    const product = c.req.path.startsWith(PRODUCT_PREFIX);
    let admitted = false;
    try {
      if (product) {
        const refusal = shedder.admit();
        if (refusal) throw refusal;
        admitted = true;
        const ip = clientIpOf(c, parts.trustProxy);
        c.set('clientIp', ip);
        const caller = callerOf(c, tokens);
        const principal = caller instanceof Promise ? await caller : caller;
        if (principal) c.set('principal', principal);
        if (limit) await limit(c.req.method, c.req.path, ip, principal?.userId);
      }
      await deadline.within(bodyLimit(c, next) as Promise<void>);
    } catch (err) {
      c.res = await answerError(err as Error, c);
    } finally {
      if (admitted) shedder.done();
    }
    observe(c, started);
  }

  return createMiddleware<AppEnv>((c, next) =>
    tracingOn() ? servedInSpan(c, () => serve(c, next)) : serve(c, next),
  );
}
