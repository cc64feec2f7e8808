// The one way the api is served, in production and in the tests: @hono/node-server with
// the transport's share of every request done on Node's own objects, before Hono sees it.
// The request id and the security headers are added by Node's response itself as it writes
// its head (a handler's header of the same name wins), so no response is turned into a
// WHATWG Headers object just to carry them, and no header is set one call at a time before
// the handler's own are merged over them. Handlers and middleware read the request id from
// the bindings and never ask how the request arrived.
import {
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type Server,
  ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { type HttpBindings, serve } from '@hono/node-server';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';

export type ApiBindings = HttpBindings & { requestId: string };

interface Fetchable {
  fetch(request: Request, env: ApiBindings): Response | Promise<Response>;
  /** Answers what it can before the app (api/crowd-lane.ts); false leaves it to the app. */
  crowdLane?:
    | ((req: IncomingMessage, res: ServerResponse, requestId: string) => boolean)
    | undefined;
}

/**
 * Hono's secureHeaders defaults, sent with every document a browser may render (the /docs
 * page, anything not JSON).
 */
const DOCUMENT_SECURITY_HEADERS: readonly (readonly [string, string])[] = [
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

/**
 * The ones that protect a JSON answer (OWASP's REST security headers): HSTS, no MIME
 * sniffing, no framing. The rest govern what a rendered document may do (its referrer, its
 * window's opener, DNS prefetching, old IE and Flash), which JSON never is, and every header
 * is work on each answer for the server and each client (BENCHMARKS.md, issue 13).
 */
const JSON_SECURITY_HEADERS = DOCUMENT_SECURITY_HEADERS.filter(([name]) =>
  ['Strict-Transport-Security', 'X-Content-Type-Options', 'X-Frame-Options'].includes(name),
);

const withLowerCase = (headers: typeof DOCUMENT_SECURITY_HEADERS) =>
  headers.map(([name, value]) => [name, name.toLowerCase(), value] as const);
const FOR_DOCUMENTS = withLowerCase(DOCUMENT_SECURITY_HEADERS);
const FOR_JSON = withLowerCase(JSON_SECURITY_HEADERS);

/** application/json and application/problem+json answers; not the HTML, the SSE stream. */
const isJson = (contentType: unknown) =>
  typeof contentType === 'string' && /^application\/(?:[\w.-]+\+)?json\b/.test(contentType);

/**
 * The JSON set for JSON and for answers without a body (204, and 304, whose headers a
 * browser lays over those it cached), the whole set for anything a browser may render.
 */
const securityFor = (status: number, contentType: unknown) =>
  status === 304 || status === 204 || isJson(contentType) ? FOR_JSON : FOR_DOCUMENTS;

/**
 * Node's response with the adapter's headers: the security headers and X-Request-Id go into
 * the head as it is written. @hono/node-server hands writeHead a plain object of the
 * handler's headers; that object is never changed (it may be shared), a new one is written.
 */
class ApiResponse extends ServerResponse {
  requestId = '';

  override writeHead(
    statusCode: number,
    reasonOrHeaders?: string | OutgoingHttpHeaders | unknown[],
    maybeHeaders?: OutgoingHttpHeaders | unknown[],
  ): this {
    const reason = typeof reasonOrHeaders === 'string' ? reasonOrHeaders : undefined;
    const headers = reason === undefined ? reasonOrHeaders : maybeHeaders;
    if (headers === undefined || Array.isArray(headers) || typeof headers !== 'object') {
      // Headers set one by one (a stream, Node's own answers): add ours where not set.
      const security = securityFor(statusCode, this.getHeader('content-type'));
      for (const [name, , value] of security)
        if (!this.hasHeader(name)) this.setHeader(name, value);
      if (this.requestId && !this.hasHeader('X-Request-Id'))
        this.setHeader('X-Request-Id', this.requestId);
      return super.writeHead(statusCode, reason, headers as OutgoingHttpHeaders | undefined);
    }
    const head: OutgoingHttpHeaders = {};
    const security = securityFor(statusCode, headers['content-type'] ?? headers['Content-Type']);
    for (const [name, lower, value] of security)
      if (!(name in headers) && !(lower in headers)) head[name] = value;
    // No id before the app saw the request (the adapter's own 400 for a malformed URL).
    if (this.requestId && !('X-Request-Id' in headers) && !('x-request-id' in headers))
      head['X-Request-Id'] = this.requestId;
    Object.assign(head, headers);
    return super.writeHead(statusCode, reason, head);
  }
}

/** Hono's rule for an acceptable caller's id: word characters, '-' and '=', at most 255. */
const ACCEPTABLE_REQUEST_ID = /^[\w\-=]{1,255}$/;

// Request ids need to be unique, not secret: a per-process random tag and a counter
// (no crypto call per request).
const processTag = Math.random().toString(36).slice(2, 10);
let requests = 0;
const nextRequestId = () => `${processTag}-${(++requests).toString(36)}`;

/**
 * The caller's X-Request-Id when it is a sane token (so a trace crosses services), else a
 * fresh one; echoed on the response with the security headers.
 */
function stamp(env: HttpBindings): ApiBindings {
  const given = env.incoming.headers['x-request-id'];
  const requestId =
    typeof given === 'string' && ACCEPTABLE_REQUEST_ID.test(given) ? given : nextRequestId();
  const outgoing = env.outgoing as ApiResponse;
  outgoing.requestId = requestId;
  return { incoming: env.incoming, outgoing, requestId };
}

/** Serves the app; resolves once it listens (port 0 picks a free port). */
export function serveApi(
  app: Fetchable,
  address: { hostname: string; port: number },
): Promise<{ server: Server; port: number }> {
  return new Promise((resolve, reject) => {
    const server = serve(
      {
        // An HTTP/1 server (serve's default): its bindings are Node's message and response.
        fetch: (request, env) => {
          const bindings = stamp(env as HttpBindings);
          if (app.crowdLane?.(bindings.incoming, bindings.outgoing, bindings.requestId))
            return RESPONSE_ALREADY_SENT;
          return app.fetch(request, bindings);
        },
        hostname: address.hostname,
        serverOptions: { ServerResponse: ApiResponse as typeof ServerResponse },
        port: address.port,
      },
      (info: AddressInfo) => resolve({ server: server as Server, port: info.port }),
    );
    server.once('error', reject);
  });
}
