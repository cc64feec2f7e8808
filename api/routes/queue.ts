// The waiting room (SPEC §7): join, my ticket, and the public queue status. A join is one
// Lua script in Redis; a poll that sends its Queue-Ticket is answered from the ticket and
// the event's admission state in memory (core/queue/tickets.ts, api/event-views.ts), one
// without from Redis. A ticket of an admitted user carries the signed queue pass that
// POST /v1/reservations asks for while the event's waiting room is enabled.
import { createRoute, z } from '@hono/zod-openapi';
import type { QueuePasses } from '../../core/queue/passes.js';
import {
  QUEUE_STATUSES,
  type Queue,
  type QueuePlace,
  TICKET_STATUSES,
} from '../../core/queue/queue.js';
import { claimsOf, placeOfTicket } from '../../core/queue/ticket-places.js';
import { type GoodTicket, type QueueTickets, ticketMac } from '../../core/queue/tickets.js';
import { HoldError, HoldRefusal } from '../../core/reservations/hold.js';
import { principalOf, requireUser } from '../auth/guards.js';
import { DROP_ACCESS_REFUSALS, type DropAccess, dropAccessParameters } from '../drop-access.js';
import type { EventViews } from '../event-views.js';
import { handValidated, pathParams } from '../hand-validated.js';
import { ApiError, PARAMETERS, type Refusals, refusalResponses, SIGNED_IN } from '../problem.js';
import { emptyResponse, jsonResponse, notModified, serialize } from '../responses.js';
import { createRouter } from '../router.js';
import { acceptEventId, EventParams, ifNoneMatchParameter, json } from '../schemas.js';

export const QueueTicketSchema = z
  .object({
    eventId: z.uuid(),
    status: z.enum(TICKET_STATUSES),
    /** 1-based among those waiting; 0 once admitted, expired or closed */
    position: z.number().int(),
    aheadOfYou: z.number().int(),
    estimatedWaitSeconds: z.number().int(),
    joinedAt: z.iso.datetime(),
    ticket: z.string().max(512).openapi({
      description:
        'Opaque: send it back as the Queue-Ticket header when you poll queue/me (a poll without it is slower)',
    }),
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

/** Documented here, read in the handler (givenTicket). */
const queueTicketParameter = {
  in: 'header' as const,
  name: 'Queue-Ticket',
  required: false,
  schema: { type: 'string' as const, maxLength: 512 },
  description:
    'The `ticket` of your last QueueTicket: the poll is answered without a per-user read of the store',
};
const noRoom: Refusals = { ...PARAMETERS, not_found: 'No such event, or it has no waiting room' };

const join = createRoute({
  method: 'post',
  path: '/v1/events/{eventId}/queue',
  tags: ['waiting room'],
  summary: 'Join the event’s waiting room (once per user; again returns the same ticket)',
  security: [{ bearerAuth: [] }],
  middleware: [requireUser],
  request: { params: EventParams },
  parameters: dropAccessParameters,
  responses: {
    201: { description: 'Joined', ...json(QueueTicketSchema) },
    200: { description: 'Joined before: the same ticket', ...json(QueueTicketSchema) },
    ...refusalResponses({
      ...noRoom,
      ...SIGNED_IN,
      ...DROP_ACCESS_REFUSALS,
      not_on_sale: 'The event is closed or cancelled (`eventStatus`)',
    }),
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
  parameters: [ifNoneMatchParameter, queueTicketParameter],
  responses: {
    200: { description: 'The ticket', ...json(QueueTicketSchema) },
    304: { description: 'Unchanged since the ETag given' },
    ...refusalResponses({
      ...PARAMETERS,
      ...SIGNED_IN,
      queue_ticket_invalid:
        'The Queue-Ticket is not a valid ticket of yours for this event: altered, another’s, or expired',
      not_found: 'No such event, no waiting room, or you have not joined it',
    }),
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
    ...refusalResponses(noRoom),
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

/** The QueueTicket document of a place: its signed `ticket`, and the pass once admitted. */
function documentOf(place: QueuePlace, ticket: string, pass: string | undefined) {
  const document: z.infer<typeof QueueTicketSchema> = {
    eventId: place.eventId,
    status: place.status,
    position: place.position,
    aheadOfYou: place.aheadOfYou,
    estimatedWaitSeconds: place.estimatedWaitSeconds,
    joinedAt: new Date(place.joinedAt).toISOString(),
    ticket,
  };
  if (pass !== undefined && place.passExpiresAt !== null) {
    document.pass = pass;
    document.passExpiresAt = new Date(place.passExpiresAt).toISOString();
  }
  return document;
}

/**
 * What a poll of queue/me is answered, the same in the app and in the crowd lane. The
 * document is a function of the ticket (which binds the place and the pass) and of the
 * status, position and wait: an ETag without hashing the body, and no body for a 304.
 * `pass`: the signed pass, for an admitted place.
 */
export function pollAnswer(
  place: QueuePlace,
  ticket: string,
  ifNoneMatch: string | undefined,
  pass?: string,
) {
  const etag = `"${ticketMac(ticket)}-${place.status}-${place.position}-${place.estimatedWaitSeconds}"`;
  const headers = {
    ETag: etag,
    'Cache-Control': 'private, no-cache',
    'Retry-After': String(pollAfter(place)),
  };
  return notModified(ifNoneMatch, etag)
    ? { status: 304 as const, headers }
    : { status: 200 as const, headers, body: serialize(documentOf(place, ticket, pass)) };
}

const invalidTicket = () =>
  new ApiError(
    'queue_ticket_invalid',
    'The Queue-Ticket is not a valid ticket of yours for this event (expired or altered?): poll without it for a new one',
  );

export interface QueueDeps {
  queue: Queue;
  passes: QueuePasses;
  tickets: QueueTickets;
  /** each event's admission state in memory: polls with a ticket are answered from it */
  views: Pick<EventViews, 'current'>;
  /** the presale code and bot challenge in front of the room (SPEC §9) */
  access: Pick<DropAccess, 'gate'>;
}

export function queueRoutes({ queue, passes, tickets, views, access }: QueueDeps) {
  const app = createRouter();

  /** The signed pass of an admitted place. */
  const passOf = (place: QueuePlace) =>
    place.status === 'admitted' && place.passExpiresAt !== null
      ? passes.sign(place.userId, place.eventId, place.passExpiresAt)
      : undefined;

  /** The Queue-Ticket sent, checked: 403 unless it is the caller's, for this event. */
  function givenTicket(header: string | undefined, userId: string, eventId: string) {
    if (header === undefined) return undefined;
    const check = tickets.verify(header);
    if (!check.ok || check.claims.userId !== userId || check.claims.eventId !== eventId) {
      throw invalidTicket();
    }
    return check;
  }

  /** The place a good ticket and the event's view tell; undefined: ask Redis. */
  async function placeFromView(given: GoodTicket, eventId: string) {
    const view = await views.current(eventId, { clean: 'queue' });
    if (!view?.queue.enabled) return undefined;
    return placeOfTicket(given.claims, view, Date.now());
  }

  app.openapi(join, async (c) => {
    const { eventId } = c.req.valid('param');
    const { userId } = principalOf(c);
    await access.gate('join', eventId, userId, c);
    const { place, created } = await queue.join(eventId, userId).catch(refusal);
    const ticket = tickets.sign(claimsOf(place));
    const document = documentOf(place, ticket, await passOf(place));
    return jsonResponse({ object: document }, created ? 201 : 200, {
      'Retry-After': String(pollAfter(place)),
    });
  });

  // Polled by every waiting fan: its path checked in the handler (hand-validated.ts).
  app.openapi(handValidated(app, myTicket), async (c) => {
    const { eventId } = pathParams(c, EventParams, acceptEventId);
    const { userId } = principalOf(c);
    const given = givenTicket(c.req.header('queue-ticket'), userId, eventId);
    const place =
      (given && (await placeFromView(given, eventId))) ??
      (await queue.place(eventId, userId).catch(refusal));
    const ticket = tickets.reissue(claimsOf(place), given);
    const answer = pollAnswer(place, ticket, c.req.header('if-none-match'), await passOf(place));
    if (answer.status === 304) return emptyResponse(304, answer.headers);
    return jsonResponse({ json: answer.body }, 200, answer.headers);
  });

  app.openapi(queueStatus, async (c) => {
    const summary = await queue.summary(c.req.valid('param').eventId).catch(refusal);
    return jsonResponse({ object: summary }, 200, { 'Cache-Control': 'no-cache' });
  });

  return app;
}
