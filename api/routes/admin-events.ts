// Admin: the routes that run a drop — create and edit events (status moves reach Redis
// at once) and their ticket categories (seeding and adjusting stock in Redis). Each
// handler parses, calls one catalog operation (core/catalog/admin.ts, where the
// Postgres/Redis ordering and its failure cases are written), and shapes the answer.
import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { type CatalogOperations, CatalogRefusal } from '../../core/admin/catalog.js';
import { recordAudit } from '../../core/audit.js';
import { INITIAL_STATUSES } from '../../core/catalog/status.js';
import { type RebuildDeps, RebuildRefused, rebuildNow } from '../../core/records/rebuild.js';
import type { Holds } from '../../core/reservations/holds.js';
import { EVENT_STATUSES } from '../../drizzle/schema/index.js';
import type { Db } from '../../platform/db/client.js';
import { principalOf, requireRole } from '../auth/guards.js';
import type { AppEnv } from '../env.js';
import { asApi } from '../hold-errors.js';
import { ApiError, commonErrorResponses, problemResponses } from '../problem.js';
import { emptyResponse, jsonResponse } from '../responses.js';
import { createRouter } from '../router.js';
import {
  CategorySchema,
  EventSchema,
  FreeText,
  Id,
  json,
  SeatMapBody,
  Text,
  Timestamp,
  toCategory,
  toEvent,
} from '../schemas.js';

const WaitingRoomInput = z
  .object({
    enabled: z.boolean(),
    admitPerSecond: z.number().int().min(1).max(100_000).optional(),
    passTtlSeconds: z.number().int().min(30).max(86_400).optional(),
  })
  .refine((w) => !w.enabled || w.admitPerSecond !== undefined, {
    path: ['admitPerSecond'],
    message: 'is required when the waiting room is enabled',
  })
  .openapi('WaitingRoomSettings', {
    description:
      'SPEC §7. Replaces the event’s settings as a whole; passTtlSeconds defaults to 600.',
  });

const EventFields = z.object({
  name: Text(200),
  description: FreeText(10_000).optional(),
  venue: Text(200),
  startsAt: Timestamp(),
  endsAt: Timestamp().nullable().optional(),
  holdTtlSeconds: z.number().int().min(5).max(3600).nullable().optional(),
  perUserLimit: z.number().int().min(1).max(1000).optional(),
  waitingRoom: WaitingRoomInput.optional(),
});
const CreateEventBody = EventFields.extend({ status: z.enum(INITIAL_STATUSES).optional() })
  .refine((e) => !e.endsAt || e.endsAt >= e.startsAt, {
    path: ['endsAt'],
    message: 'must not be before startsAt',
  })
  .openapi('CreateEvent');
const PatchEventBody = EventFields.partial()
  .extend({ status: z.enum(EVENT_STATUSES).optional() })
  .refine((p) => Object.keys(p).length > 0, { message: 'give at least one field to change' })
  .openapi('PatchEvent', { minProperties: 1 });

const CategoryFields = z.object({
  name: Text(100),
  priceCents: z.number().int().min(0).max(100_000_000),
  currency: z
    .string()
    .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code like EUR')
    .optional(),
  capacity: z.number().int().min(0).max(10_000_000),
  perUserLimit: z.number().int().min(1).max(1000).nullable().optional(),
});
const CreateCategoryBody = CategoryFields.extend({
  capacity: CategoryFields.shape.capacity.optional(),
  seatMap: SeatMapBody.optional(),
  noSingleSeatGaps: z.boolean().optional(),
})
  .refine((c) => (c.capacity === undefined) !== (c.seatMap === undefined), {
    path: ['capacity'],
    message: 'give capacity, or seatMap for a seated category (SPEC §8), not both',
  })
  .refine((c) => c.noSingleSeatGaps === undefined || c.seatMap !== undefined, {
    path: ['noSingleSeatGaps'],
    message: 'is for a seated category (with seatMap)',
  })
  .openapi('CreateCategory');
const PatchCategoryBody = CategoryFields.pick({
  name: true,
  priceCents: true,
  capacity: true,
  perUserLimit: true,
})
  .partial()
  .refine((p) => Object.keys(p).length > 0, { message: 'give at least one field to change' })
  .openapi('PatchCategory', { minProperties: 1 });

const EventParams = z.object({ eventId: Id('eventId') });
const CategoryParams = z.object({ eventId: Id('eventId'), categoryId: Id('categoryId') });
const admin = {
  security: [{ bearerAuth: [] }],
  middleware: [requireRole('admin')],
  tags: ['admin'],
};
const adminErrors = problemResponses(
  [401, 'No valid access token (unauthorized)'],
  [403, 'Not an admin (forbidden)'],
);

const createEvent = createRoute({
  ...admin,
  method: 'post',
  path: '/v1/admin/events',
  summary: 'Create an event (draft unless a status is given)',
  request: { body: { required: true, ...json(CreateEventBody) } },
  responses: {
    201: { description: 'Created', ...json(EventSchema) },
    ...commonErrorResponses,
    ...adminErrors,
  },
});

const patchEvent = createRoute({
  ...admin,
  method: 'patch',
  path: '/v1/admin/events/{eventId}',
  summary: 'Change an event; status moves take effect in Redis at once',
  request: { params: EventParams, body: { required: true, ...json(PatchEventBody) } },
  responses: {
    200: { description: 'Changed', ...json(EventSchema) },
    ...commonErrorResponses,
    ...adminErrors,
    ...problemResponses(
      [404, 'No such event (not_found)'],
      [409, 'Illegal status move (invalid_transition)'],
    ),
  },
});

const deleteEvent = createRoute({
  ...admin,
  method: 'delete',
  path: '/v1/admin/events/{eventId}',
  summary: 'Delete an event that has no reservations',
  request: { params: EventParams },
  responses: {
    204: { description: 'Deleted' },
    ...commonErrorResponses,
    ...adminErrors,
    ...problemResponses(
      [404, 'No such event (not_found)'],
      [409, 'It has reservations (has_reservations)'],
    ),
  },
});

const createCategory = createRoute({
  ...admin,
  method: 'post',
  path: '/v1/admin/events/{eventId}/categories',
  summary: 'Add a ticket category and seed its stock',
  request: { params: EventParams, body: { required: true, ...json(CreateCategoryBody) } },
  responses: {
    201: { description: 'Created', ...json(CategorySchema) },
    ...commonErrorResponses,
    ...adminErrors,
    ...problemResponses(
      [404, 'No such event (not_found)'],
      [409, 'A category of that name exists (invalid_state)'],
    ),
  },
});

const patchCategory = createRoute({
  ...admin,
  method: 'patch',
  path: '/v1/admin/events/{eventId}/categories/{categoryId}',
  summary: 'Change a category; capacity may not go below held + sold',
  request: { params: CategoryParams, body: { required: true, ...json(PatchCategoryBody) } },
  responses: {
    200: { description: 'Changed', ...json(CategorySchema) },
    ...commonErrorResponses,
    ...adminErrors,
    ...problemResponses(
      [404, 'No such event or category (not_found)'],
      [
        409,
        'Capacity below held + sold (capacity_below_sold), or the name is taken (invalid_state)',
      ],
    ),
  },
});

const rebuild = createRoute({
  ...admin,
  method: 'post',
  path: '/v1/admin/events/{eventId}/rebuild',
  summary: "Check the event's Redis stock against Postgres and reconcile it",
  description:
    'Holds sales, waits for the outbox and the persister to catch up, then merges what Redis has with the durable record (newest step of each reservation wins) and recomputes the stock. The engine does this by itself after a Redis restart; this is for the operator.',
  request: { params: EventParams },
  responses: {
    200: {
      description: 'Rebuilt; sales resumed',
      ...json(
        z.object({
          eventId: z.uuid(),
          outcome: z.enum(['verified', 'reconciled']),
          restoredHolds: z.number().int(),
          evictedHolds: z.number().int(),
          categories: z.array(
            z.object({
              id: z.uuid(),
              name: z.string(),
              capacity: z.number().int(),
              held: z.number().int(),
              confirmed: z.number().int(),
              available: z.number().int(),
            }),
          ),
        }),
      ),
    },
    ...commonErrorResponses,
    ...adminErrors,
    ...problemResponses([404, 'No such event (not_found)']),
  },
});

/** A catalog refusal in our problem codes; anything else thrown on. */
export const catalogRefused = (err: unknown): never => {
  if (!(err instanceof CatalogRefusal)) throw err;
  switch (err.reason) {
    case 'not_found':
      throw new ApiError('not_found', err.message);
    case 'invalid_transition':
      throw new ApiError('invalid_transition', err.message, { extra: err.extra });
    case 'ends_before_starts':
      throw new ApiError('validation_failed', err.message, {
        extra: {
          errors: [{ in: 'body', field: 'endsAt', message: 'must not be before startsAt' }],
        },
      });
    case 'has_reservations':
      throw new ApiError('has_reservations', err.message);
    case 'name_taken':
    case 'not_seated':
      throw new ApiError('invalid_state', err.message);
    case 'invalid_seats':
      throw new ApiError('validation_failed', err.message, {
        extra: { errors: [{ in: 'body', field: '', message: err.message }], ...err.extra },
      });
  }
};

export function adminEventRoutes(deps: {
  /** the catalog's operations (core/catalog/admin.ts) */
  catalog: CatalogOperations;
  db: Db;
  holds: Holds;
  defaultHoldTtlSeconds: number;
  rebuild: Omit<RebuildDeps, 'db' | 'holds' | 'defaultHoldTtlSeconds'>;
}) {
  const { catalog, db, holds, defaultHoldTtlSeconds } = deps;
  const app = createRouter();

  app.openapi(rebuild, async (c) => {
    const { eventId } = c.req.valid('param');
    try {
      const { marked: _marked, ...result } = await rebuildNow(
        { ...deps.rebuild, db, holds, defaultHoldTtlSeconds },
        eventId,
      );
      await recordAudit(db, {
        actorId: principalOf(c).userId,
        action: 'event.rebuilt',
        targetType: 'event',
        targetId: eventId,
        details: { restoredHolds: result.restoredHolds },
        requestId: c.get('requestId'),
      });
      return jsonResponse(
        {
          object: {
            ...result,
            categories: result.categories.map(
              ({ id, name, capacity, held, confirmed, available }) => ({
                id,
                name,
                capacity,
                held,
                confirmed,
                available,
              }),
            ),
          },
        },
        200,
      );
    } catch (err) {
      if (!(err instanceof RebuildRefused)) throw err;
      if (err.reason === 'not_found') throw new ApiError('not_found', err.message);
      throw new ApiError('dependency_unavailable', err.message, {
        headers: { 'Retry-After': '5' },
      });
    }
  });

  /** One catalog operation, its refusals in our problem codes. */
  const run = <T>(op: () => Promise<T>) => asApi(op).catch(catalogRefused);
  const actorOf = (c: Context<AppEnv>) => ({
    actorId: principalOf(c).userId,
    requestId: c.get('requestId'),
  });

  app.openapi(createEvent, async (c) => {
    const event = await run(() => catalog.createEvent(c.req.valid('json'), actorOf(c)));
    return jsonResponse({ object: toEvent(event, defaultHoldTtlSeconds) }, 201, {
      Location: `/v1/events/${event.id}`,
    });
  });

  app.openapi(patchEvent, async (c) => {
    const { eventId } = c.req.valid('param');
    const event = await run(() => catalog.updateEvent(eventId, c.req.valid('json'), actorOf(c)));
    return jsonResponse({ object: toEvent(event, defaultHoldTtlSeconds) }, 200);
  });

  app.openapi(deleteEvent, async (c) => {
    const { eventId } = c.req.valid('param');
    await run(() => catalog.deleteEvent(eventId, actorOf(c)));
    return emptyResponse(204);
  });

  app.openapi(createCategory, async (c) => {
    const { eventId } = c.req.valid('param');
    const category = await run(() => catalog.addCategory(eventId, c.req.valid('json'), actorOf(c)));
    return jsonResponse({ object: toCategory(category) }, 201, {
      Location: `/v1/events/${eventId}`,
    });
  });

  app.openapi(patchCategory, async (c) => {
    const { eventId, categoryId } = c.req.valid('param');
    const category = await run(() =>
      catalog.updateCategory(eventId, categoryId, c.req.valid('json'), actorOf(c)),
    );
    return jsonResponse({ object: toCategory(category) }, 200);
  });

  return app;
}
