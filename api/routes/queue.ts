// The waiting room (SPEC §7): join, my ticket, and the public queue status. Each is one
// Lua script in Redis; a ticket of an admitted user carries the signed queue pass that
// POST /v1/reservations asks for while the event's waiting room is enabled.
import { createHash } from 'node:crypto';
import { createRoute, z } from '@hono/zod-openapi';
import type { QueuePasses } from '../../core/queue/passes.js';
import {
  QUEUE_STATUSES,
  type Queue,
  type QueuePlace,
  TICKET_STATUSES,
} from '../../core/queue/queue.js';
import { HoldError, HoldRefusal } from '../../core/reservations/holds.js';
import { principalOf, requireUser } from '../auth/guards.js';
import { ApiError, commonErrorResponses, problemResponses } from '../problem.js';
import { emptyResponse, jsonResponse, notModified, serialize } from '../responses.js';
import { createRouter } from '../router.js';
import { Id, ifNoneMatchParameter, json } from '../schemas.js';

export const QueueTicketSchema = z
  .object({
    eventId: z.uuid(),
    status: z.enum(TICKET_STATUSES),
    /** 1-based among those waiting; 0 once admitted, expired or closed */
    position: z.number().int(),
    aheadOfYou: z.number().int(),
    estimatedWaitSeconds: z.number().int(),
    joinedAt: z.iso.datetime(),
    pass: z.string().optional().openapi({ description: 'Send as the Queue-Pass header' }),
    passExpiresAt: z.iso.datetime().optional(),
  })
  .openapi('QueueTicket');

const QueueStatusSchema = z
  .object({
    status: z.enum(QUEUE_STATUSES),
    waiting: z.number().int(),
    admittedTotal: z.number().int(),
    admitPerSecond: z.number().int(),
  })
  .openapi('QueueStatus');

const EventParams = z.object({ eventId: Id('eventId') });
const noRoom = [404, 'No such event, or it has no waiting room (not_found)'] as [number, string];

const join = createRoute({
  method: 'post',
  path: '/v1/events/{eventId}/queue',
  tags: ['waiting room'],
  summary: 'Join the event’s waiting room (once per user; again returns the same ticket)',
  security: [{ bearerAuth: [] }],
  middleware: [requireUser],
  request: { params: EventParams },
  responses: {
    201: { description: 'Joined', ...json(QueueTicketSchema) },
    200: { description: 'Joined before: the same ticket', ...json(QueueTicketSchema) },
    ...commonErrorResponses,
    ...problemResponses([401, 'No valid access token (unauthorized)'], noRoom, [
      409,
      'The event is closed or cancelled (not_on_sale)',
    ]),
  },
});

const myTicket = createRoute({
  method: 'get',
  path: '/v1/events/{eventId}/queue/me',
  tags: ['waiting room'],
  summary: 'My ticket: place, estimated wait, and the pass once admitted',
  description:
    'Poll no sooner than Retry-After says; send the ETag back in If-None-Match for a bodiless 304.',
  security: [{ bearerAuth: [] }],
  middleware: [requireUser],
  request: { params: EventParams },
  parameters: [ifNoneMatchParameter],
  responses: {
    200: { description: 'The ticket', ...json(QueueTicketSchema) },
    304: { description: 'Unchanged since the ETag given' },
    ...commonErrorResponses,
    ...problemResponses(
      [401, 'No valid access token (unauthorized)'],
      [404, 'No such event, no waiting room, or you have not joined it (not_found)'],
    ),
  },
});

const queueStatus = createRoute({
  method: 'get',
  path: '/v1/events/{eventId}/queue',
  tags: ['waiting room'],
  summary: 'The waiting room at a glance (public)',
  request: { params: EventParams },
  responses: {
    200: { description: 'The queue now', ...json(QueueStatusSchema) },
    ...commonErrorResponses,
    ...problemResponses(noRoom),
  },
});

/**
 * How long a client should wait before polling its ticket again, in seconds: half the wait
 * left, 2 to 30 s (the head of the queue hears of its pass within 2 s, the tail polls
 * rarely), so 20,000 waiting fans poll a few thousand times a second, not 20,000.
 */
function pollAfter(place: QueuePlace): number {
  if (place.status !== 'waiting') return 30;
  return Math.min(30, Math.max(2, Math.ceil(place.estimatedWaitSeconds / 2)));
}

function refusal(err: unknown): never {
  if (err instanceof HoldRefusal) {
    switch (err.code) {
      case HoldError.EventNotFound:
        throw new ApiError('not_found', 'No such event');
      case HoldError.NoWaitingRoom:
        throw new ApiError('not_found', 'This event has no waiting room');
      case HoldError.HoldNotFound:
        throw new ApiError('not_found', 'You have not joined this waiting room');
      case HoldError.NotOnSale:
        throw new ApiError('not_on_sale', `The event is ${err.info[0]}`, {
          extra: { eventStatus: err.info[0] },
        });
    }
  }
  throw err;
}

export function queueRoutes({ queue, passes }: { queue: Queue; passes: QueuePasses }) {
  const app = createRouter();

  async function ticketOf(place: QueuePlace) {
    const ticket: z.infer<typeof QueueTicketSchema> = {
      eventId: place.eventId,
      status: place.status,
      position: place.position,
      aheadOfYou: place.aheadOfYou,
      estimatedWaitSeconds: place.estimatedWaitSeconds,
      joinedAt: new Date(place.joinedAt).toISOString(),
    };
    if (place.status === 'admitted' && place.passExpiresAt !== null) {
      ticket.pass = await passes.sign(place.userId, place.eventId, place.passExpiresAt);
      ticket.passExpiresAt = new Date(place.passExpiresAt).toISOString();
    }
    return ticket;
  }

  app.openapi(join, async (c) => {
    const { eventId } = c.req.valid('param');
    const { userId } = principalOf(c);
    const { place, created } = await queue.join(eventId, userId).catch(refusal);
    return jsonResponse({ object: await ticketOf(place) }, created ? 201 : 200, {
      'Retry-After': String(pollAfter(place)),
    });
  });

  app.openapi(myTicket, async (c) => {
    const { eventId } = c.req.valid('param');
    const { userId } = principalOf(c);
    const place = await queue.place(eventId, userId).catch(refusal);
    const body = serialize(await ticketOf(place));
    const etag = `"${createHash('sha1').update(body).digest('base64url')}"`;
    const headers = {
      ETag: etag,
      'Cache-Control': 'private, no-cache',
      'Retry-After': String(pollAfter(place)),
    };
    if (notModified(c.req.header('if-none-match'), etag)) return emptyResponse(304, headers);
    return jsonResponse({ json: body }, 200, headers);
  });

  app.openapi(queueStatus, async (c) => {
    const summary = await queue.summary(c.req.valid('param').eventId).catch(refusal);
    return jsonResponse({ object: summary }, 200, { 'Cache-Control': 'no-cache' });
  });

  return app;
}
