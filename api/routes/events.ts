// Public catalog: search, an event with its categories (both cache-aside, Postgres behind),
// live availability (Redis, the authority for stock) with an ETag, comments and ratings.
import type { ServerResponse } from 'node:http';
import { createRoute, z } from '@hono/zod-openapi';
import type { CatalogCache } from '../../core/catalog/cache.js';
import {
  deleteComment,
  findComment,
  listComments,
  upsertComment,
} from '../../core/catalog/comments.js';
import { findEvent, listCategories } from '../../core/catalog/events.js';
import { searchEvents } from '../../core/catalog/search.js';
import type { Holds } from '../../core/reservations/holds.js';
import { EVENT_STATUSES } from '../../drizzle/schema/index.js';
import type { Db } from '../../platform/db/client.js';
import type { Logger } from '../../platform/logger.js';
import { principalOf, requireUser } from '../auth/guards.js';
import { type AvailabilitySnapshot, availabilityAnswer } from '../availability.js';
import type { AvailabilityStreams } from '../availability-stream.js';
import type { AppEnv } from '../env.js';
import { handValidated, pathParams } from '../hand-validated.js';
import { decodeCursor, PageQuery, PageSchema, page } from '../pagination.js';
import {
  ApiError,
  JSON_BODY,
  PARAMETERS,
  type Refusals,
  refusalResponses,
  SIGNED_IN,
} from '../problem.js';
import { emptyResponse, jsonResponse } from '../responses.js';
import { createRouter } from '../router.js';
import {
  acceptEventId,
  CommentSchema,
  EventParams,
  EventSchema,
  EventWithCategoriesSchema,
  FreeText,
  Id,
  ifNoneMatchParameter,
  json,
  representable,
  Text,
  Timestamp,
  toCategory,
  toComment,
  toEvent,
} from '../schemas.js';
import { AvailabilityEventStream, STREAM_OWNS_RESPONSE } from '../sse.js';

const readEvent: Refusals = {
  ...PARAMETERS,
  not_found: 'No such event; drafts are hidden from non-admins',
};

const AvailabilitySchema = z
  .object({
    eventId: z.uuid(),
    status: z.string(),
    categories: z.array(
      z.object({
        id: z.uuid(),
        name: z.string(),
        capacity: z.number().int(),
        available: z.number().int(),
        seatsVersion: z.number().int().optional().openapi({
          description:
            'A seated category’s seat version: when it moves, the seats (`…/seats`) changed',
        }),
      }),
    ),
    asOf: z.iso.datetime(),
  })
  .openapi('Availability');

const SearchQuery = PageQuery.extend({
  q: Text(100).optional().openapi({ description: 'Part of the name, any case' }),
  status: z.enum(EVENT_STATUSES).optional(),
  from: Timestamp('startsAt ≥ from').optional(),
  to: Timestamp('startsAt ≤ to').optional(),
});

const search = createRoute({
  method: 'get',
  path: '/v1/events',
  tags: ['catalog'],
  summary: 'Search events, ordered by start time',
  request: { query: SearchQuery },
  responses: {
    200: { description: 'A page', ...json(PageSchema(EventSchema)) },
    ...refusalResponses(PARAMETERS),
  },
});

const getEvent = createRoute({
  method: 'get',
  path: '/v1/events/{eventId}',
  tags: ['catalog'],
  summary: 'An event with its ticket categories',
  request: { params: EventParams },
  responses: {
    200: { description: 'The event', ...json(EventWithCategoriesSchema) },
    ...refusalResponses(readEvent),
  },
});

const getAvailability = createRoute({
  method: 'get',
  path: '/v1/events/{eventId}/availability',
  tags: ['catalog'],
  summary: 'Live availability per category, from Redis',
  description: 'Send the ETag back in If-None-Match: an unchanged answer is a bodiless 304.',
  request: { params: EventParams },
  parameters: [ifNoneMatchParameter],
  responses: {
    200: { description: 'Availability now', ...json(AvailabilitySchema) },
    304: { description: 'Unchanged since the ETag given' },
    ...refusalResponses(readEvent),
  },
});

/** One event of the stream, as a client's SSE parser hands it over. */
const AvailabilityStreamEvent = z
  .object({
    event: z.enum(['availability', 'shutdown']),
    id: z.string().optional(),
    data: z.string().openapi({ description: 'JSON: the Availability document, or {reason}' }),
  })
  .openapi('AvailabilityStreamEvent');

const getAvailabilityStream = createRoute({
  method: 'get',
  path: '/v1/events/{eventId}/availability/stream',
  tags: ['catalog'],
  summary: 'Live availability pushed over Server-Sent Events',
  description:
    "An `availability` event (the availability document) at once, then on every change, at most one per AVAILABILITY_STREAM_MS (250 ms). `id:` is the document's version: reconnect with Last-Event-ID and a document you have is not sent again. A comment line every 15 s keeps the stream alive; on shutdown a final `shutdown` event ends it. At most AVAILABILITY_STREAM_MAX_PER_USER streams per user (or client ip) and AVAILABILITY_STREAM_MAX per process: beyond, 503 overloaded.",
  request: { params: EventParams },
  parameters: [
    {
      in: 'header',
      name: 'Last-Event-ID',
      required: false,
      schema: { type: 'string' },
      description: 'The id of the last event received (a resumed stream skips that document)',
    },
  ],
  responses: {
    200: {
      description:
        'text/event-stream: `availability` events (data: the Availability document as JSON, id: its version), and a last `shutdown` event',
      content: { 'text/event-stream': { schema: AvailabilityStreamEvent } },
    },
    ...refusalResponses({
      ...readEvent,
      overloaded:
        'Streams beyond AVAILABILITY_STREAM_MAX_PER_USER for this caller or AVAILABILITY_STREAM_MAX for this process, or the api is at capacity; retry after Retry-After',
    }),
  },
});

const CommentBody = z
  .object({
    rating: z.number().int().min(1).max(5),
    text: FreeText(2000, 1),
  })
  .openapi('CommentRequest');
const CommentParams = EventParams.extend({ commentId: Id('commentId') });

const listCommentsRoute = createRoute({
  method: 'get',
  path: '/v1/events/{eventId}/comments',
  tags: ['catalog'],
  summary: "An event's comments, newest first",
  request: { params: EventParams, query: PageQuery },
  responses: {
    200: { description: 'A page', ...json(PageSchema(CommentSchema)) },
    ...refusalResponses(readEvent),
  },
});

const postComment = createRoute({
  method: 'post',
  path: '/v1/events/{eventId}/comments',
  tags: ['catalog'],
  summary: 'Rate and comment an event (one per user: a second post replaces it)',
  security: [{ bearerAuth: [] }],
  middleware: [requireUser],
  request: { params: EventParams, body: { required: true, ...json(CommentBody) } },
  responses: {
    201: { description: 'Created', ...json(CommentSchema) },
    200: { description: 'Your earlier comment, replaced', ...json(CommentSchema) },
    ...refusalResponses({
      ...readEvent,
      ...SIGNED_IN,
      ...JSON_BODY,
      invalid_state: 'The event was deleted while the comment was written',
    }),
  },
});

const removeComment = createRoute({
  method: 'delete',
  path: '/v1/events/{eventId}/comments/{commentId}',
  tags: ['catalog'],
  summary: 'Delete a comment (its author or an admin)',
  security: [{ bearerAuth: [] }],
  middleware: [requireUser],
  request: { params: CommentParams },
  responses: {
    204: { description: 'Deleted' },
    ...refusalResponses({
      ...PARAMETERS,
      ...SIGNED_IN,
      not_found: 'No such comment, or not yours to delete',
    }),
  },
});

export interface EventRouteDeps {
  db: Db;
  holds: Holds;
  cache: CatalogCache;
  defaultHoldTtlSeconds: number;
  /** Availability as clients poll it (api/availability.ts). */
  readAvailability: (eventId: string) => Promise<AvailabilitySnapshot | null>;
  streams: AvailabilityStreams;
  logger?: Logger;
}

const isAdmin = (c: { get(key: 'principal'): AppEnv['Variables']['principal'] }) =>
  c.get('principal')?.role === 'admin';

export function eventRoutes(deps: EventRouteDeps) {
  const { db, cache } = deps;
  const app = createRouter();
  const missing = () => new ApiError('not_found', 'No such event');
  const unrepresentable = (eventId: string) =>
    deps.logger?.error(
      { eventId },
      'event row has a date outside what the API can show; left out of reads: fix or delete it',
    );

  /** The event as the caller may see it (drafts only for admins), cached. */
  async function visibleEvent(eventId: string, admin: boolean) {
    const event = await cache.get(`event:${eventId}`, async () => {
      const row = await findEvent(db, eventId);
      if (!row) return null;
      if (!representable(row)) {
        unrepresentable(row.id);
        return null;
      }
      const categories = await listCategories(db, eventId);
      return {
        ...toEvent(row, deps.defaultHoldTtlSeconds),
        categories: categories.map(toCategory),
      };
    });
    if (!event || (event.status === 'draft' && !admin)) throw missing();
    return event;
  }

  app.openapi(search, async (c) => {
    const query = c.req.valid('query');
    const admin = isAdmin(c);
    const after = decodeCursor(query.cursor);
    const key = `search:${admin ? 'admin' : 'public'}:${JSON.stringify([query.q, query.status, query.from, query.to, query.limit, query.cursor])}`;
    const result = await cache.get(key, async () => {
      const rows = await searchEvents(db, {
        q: query.q,
        status: query.status,
        from: query.from ? new Date(query.from) : undefined,
        to: query.to ? new Date(query.to) : undefined,
        includeDrafts: admin,
        limit: query.limit,
        after,
      });
      const { items, nextCursor } = page(rows, query.limit, (e) => ({
        t: e.startsAt.toISOString(),
        id: e.id,
      }));
      const shown = items.filter((e) => representable(e) || void unrepresentable(e.id));
      return { items: shown.map((e) => toEvent(e, deps.defaultHoldTtlSeconds)), nextCursor };
    });
    return jsonResponse({ object: result }, 200);
  });

  app.openapi(getEvent, async (c) => {
    return jsonResponse(
      { object: await visibleEvent(c.req.valid('param').eventId, isAdmin(c)) },
      200,
    );
  });

  const { readAvailability, streams } = deps;
  // Polled by every client during a drop: its path checked in the handler (hand-validated.ts).
  app.openapi(handValidated(app, getAvailability), async (c) => {
    const { eventId } = pathParams(c, EventParams, acceptEventId);
    const snapshot = await readAvailability(eventId);
    if (!snapshot || (snapshot.status === 'draft' && !isAdmin(c))) throw missing();
    const answer = availabilityAnswer(snapshot, c.req.header('if-none-match'));
    if (answer.status === 304) return emptyResponse(304, answer.headers);
    return jsonResponse({ json: answer.body }, 200, answer.headers);
  });

  app.openapi(getAvailabilityStream, async (c) => {
    const { eventId } = c.req.valid('param');
    const first = await readAvailability(eventId);
    if (!first || (first.status === 'draft' && !isAdmin(c))) throw missing();
    // HEAD (served by this GET route) gets the head alone: the stream writes to the socket.
    if (c.req.method === 'HEAD')
      return emptyResponse(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-cache',
      });
    const release = streams.admit(c.get('principal')?.userId ?? c.get('clientIp') ?? 'unknown');
    // The stream writes on Node's response itself and keeps nothing of this request's
    // context: a crowd holds these open (api/sse.ts).
    const stream = new AvailabilityEventStream(
      c.env.outgoing as ServerResponse,
      c.req.header('last-event-id'),
      release,
    );
    stream
      .start(
        (listener) => streams.listen(eventId, listener),
        () => readAvailability(eventId),
      )
      .catch((err: unknown) => {
        deps.logger?.warn({ err, eventId }, 'availability stream failed');
        stream.fail();
      });
    return STREAM_OWNS_RESPONSE;
  });

  app.openapi(listCommentsRoute, async (c) => {
    const { eventId } = c.req.valid('param');
    await visibleEvent(eventId, isAdmin(c));
    const { limit, cursor } = c.req.valid('query');
    const rows = await listComments(db, eventId, limit, decodeCursor(cursor));
    const { items, nextCursor } = page(rows, limit, (r) => ({
      t: r.createdAt.toISOString(),
      id: r.id,
    }));
    return jsonResponse({ object: { items: items.map(toComment), nextCursor } }, 200);
  });

  app.openapi(postComment, async (c) => {
    const { eventId } = c.req.valid('param');
    const principal = principalOf(c);
    await visibleEvent(eventId, principal.role === 'admin');
    const { comment, created } = await upsertComment(db, {
      eventId,
      userId: principal.userId,
      ...c.req.valid('json'),
    });
    // The event's rating changed: its cached detail and pages with it.
    await cache.invalidate();
    return jsonResponse({ object: toComment(comment) }, created ? 201 : 200);
  });

  app.openapi(removeComment, async (c) => {
    const { eventId, commentId } = c.req.valid('param');
    const principal = principalOf(c);
    const comment = await findComment(db, eventId, commentId);
    if (!comment || (comment.userId !== principal.userId && principal.role !== 'admin')) {
      throw new ApiError('not_found', 'No such comment');
    }
    await deleteComment(db, comment);
    await cache.invalidate();
    return emptyResponse(204);
  });

  return app;
}
