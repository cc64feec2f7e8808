// The crowd's lane: the reads a crowd repeats — availability, a waiting fan's poll with a
// queue ticket, and a seat map's status — answered from memory on Node's own request and
// response, before the app. In the app, Hono's dispatch and the request pipeline cost a
// poll more than the answer itself; here a poll costs about what a bare server's hello
// does (BENCHMARKS.md, issue 24). The answers are the app's own (availabilityAnswer,
// pollAnswer, the seat status document), with the same metrics series and log line; the
// adapter adds the request id and the security headers to all.
//
// The lane takes a request only when it can answer it exactly as the app would, at once:
// a GET of one of the three paths, no query, a view (and seat document) current enough, a
// caller the token cache already knows, a waiting (not admitted) place, the api not
// shedding load, and no rate limits in the engine (with them, every request is theirs to
// count). Anything else — a first poll, a view being read again, a forged ticket, an
// admin, a draft — goes to the app, which answers it (or refuses it) as always.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Counter, type Registry } from 'prom-client';
import type { AccessTokens } from '../core/auth/access-tokens.js';
import { claimsOf, placeOfTicket } from '../core/queue/ticket-places.js';
import type { QueueTickets } from '../core/queue/tickets.js';
import { availabilityAnswer, availabilityOf } from './availability.js';
import type { EventViews } from './event-views.js';
import type { createRequestObserver } from './middleware/observe.js';
import type { LoadShedder } from './protection/load-shedding.js';
import { notModified } from './responses.js';
import { pollAnswer } from './routes/queue.js';
import type { SeatViews } from './seat-views.js';

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const CROWD_PATH = new RegExp(`^/v1/events/(${UUID})/(availability|queue/me)$`);
const SEATS_PATH = new RegExp(`^/v1/events/(${UUID})/categories/(${UUID})/seats$`);
const BEARER = /^Bearer\s+(\S+)\s*$/i;
const JSON_TYPE = 'application/json';

/** The route patterns the app's metrics and logs name these requests by. */
const ROUTES = {
  availability: '/v1/events/:eventId/availability',
  'queue/me': '/v1/events/:eventId/queue/me',
  seats: '/v1/events/:eventId/categories/:categoryId/seats',
} as const;

export interface CrowdLaneDeps {
  views: Pick<EventViews, 'fresh'>;
  seatViews: Pick<SeatViews, 'fresh'>;
  tickets: QueueTickets;
  tokens: Pick<AccessTokens, 'known'>;
  shedder: Pick<LoadShedder, 'saturated'>;
  observe: ReturnType<typeof createRequestObserver>;
  registry: Registry;
}

type Answer = {
  status: 200 | 304;
  headers: Record<string, string>;
  body?: string;
  /** the body's bytes when known, not counted again */
  bytes?: number;
};

/** Returns whether it answered the request; false leaves it, untouched, to the app. */
export function createCrowdLane(deps: CrowdLaneDeps) {
  const { views, seatViews, tickets, tokens, shedder, observe } = deps;
  const served = new Counter({
    name: 'api_crowd_lane_total',
    help: 'Requests answered by the crowd lane, before the app, by route',
    labelNames: ['route'] as const,
    registers: [deps.registry],
  });
  const servedOf = {
    availability: served.labels(ROUTES.availability),
    'queue/me': served.labels(ROUTES['queue/me']),
    seats: served.labels(ROUTES.seats),
  };
  function principalOf(req: IncomingMessage) {
    const header = req.headers.authorization;
    const token = header ? BEARER.exec(header)?.[1] : undefined;
    return token ? tokens.known(token) : undefined;
  }

  function availability(req: IncomingMessage, eventId: string): Answer | undefined {
    // A caller with a token the cache does not know is verified by the app.
    if (req.headers.authorization !== undefined && !principalOf(req)) return undefined;
    const view = views.fresh(eventId, { clean: 'stock' });
    // No such event, or a draft (an admin sees it, others get 404): the app says.
    if (!view || view.state.status === 'draft') return undefined;
    return availabilityAnswer(availabilityOf(eventId, view), req.headers['if-none-match']);
  }

  function seats(req: IncomingMessage, eventId: string, categoryId: string): Answer | undefined {
    if (req.headers.authorization !== undefined && !principalOf(req)) return undefined;
    const kept = seatViews.fresh(eventId, categoryId);
    if (!kept) return undefined;
    const headers = { ETag: kept.etag, 'Cache-Control': 'no-cache' };
    return notModified(req.headers['if-none-match'], kept.etag)
      ? { status: 304, headers }
      : { status: 200, headers, body: kept.body, bytes: kept.bytes };
  }

  function poll(req: IncomingMessage, eventId: string, userId: string): Answer | undefined {
    const header = req.headers['queue-ticket'];
    if (typeof header !== 'string') return undefined;
    const given = tickets.verify(header);
    if (!given.ok || given.claims.userId !== userId || given.claims.eventId !== eventId) {
      return undefined;
    }
    const view = views.fresh(eventId, { clean: 'queue' });
    if (!view?.queue.enabled) return undefined;
    const place = placeOfTicket(given.claims, view, Date.now());
    // An admitted fan's answer carries a signed pass: the app makes it.
    if (!place || place.status === 'admitted') return undefined;
    const ticket = tickets.reissue(claimsOf(place), given);
    return pollAnswer(place, ticket, req.headers['if-none-match']);
  }

  return function serve(req: IncomingMessage, res: ServerResponse, requestId: string): boolean {
    if (req.method !== 'GET') return false;
    const url = req.url ?? '';
    const match = CROWD_PATH.exec(url);
    const seated = match ? undefined : SEATS_PATH.exec(url);
    if ((!match && !seated) || shedder.saturated()) return false;
    const started = performance.now();
    let what: keyof typeof ROUTES;
    let answer: Answer | undefined;
    let principal: ReturnType<typeof principalOf>;
    if (seated) {
      what = 'seats';
      answer = seats(req, seated[1] as string, seated[2] as string);
    } else {
      const [, eventId, route] = match as unknown as [string, string, 'availability' | 'queue/me'];
      what = route;
      principal = what === 'queue/me' ? principalOf(req) : undefined;
      answer =
        what === 'availability'
          ? availability(req, eventId)
          : principal && poll(req, eventId, principal.userId);
    }
    if (!answer) return false;
    if (answer.body === undefined) {
      res.writeHead(answer.status, answer.headers);
      res.end();
    } else {
      res.writeHead(answer.status, {
        'content-type': JSON_TYPE,
        ...answer.headers,
        'Content-Length': String(answer.bytes ?? Buffer.byteLength(answer.body)),
      });
      res.end(answer.body);
    }
    servedOf[what].inc();
    observe.answered({
      method: 'GET',
      route: ROUTES[what],
      status: answer.status,
      started,
      requestId,
      userId: principal?.userId ?? principalOf(req)?.userId,
    });
    return true;
  };
}

export type CrowdLane = ReturnType<typeof createCrowdLane>;
