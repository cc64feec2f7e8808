// Admin: the routes that run a drop — create and edit events (status moves reach Redis
// at once) and their ticket categories (seeding and adjusting stock in Redis).
// Each write runs in a Postgres transaction around the Redis script: if Redis refuses
// (capacity below sold) or fails, Postgres rolls back and nothing changed.
import { createRoute, z } from '@hono/zod-openapi';
import { recordAudit } from '../../core/audit.js';
import type { CatalogCache } from '../../core/catalog/cache.js';
import { type CatalogChange, eventChangeType } from '../../core/catalog/changes.js';
import {
  deleteEventRow,
  findCategory,
  findEvent,
  hasReservations,
  insertCategory,
  insertEvent,
  listCategories,
  updateCategory,
  updateEvent,
} from '../../core/catalog/events.js';
import { canMove, INITIAL_STATUSES } from '../../core/catalog/status.js';
import { raiseMarks } from '../../core/records/event-marks.js';
import { type RebuildDeps, RebuildRefused, rebuildNow } from '../../core/records/rebuild.js';
import type { Holds } from '../../core/reservations/holds.js';
import { EVENT_STATUSES } from '../../drizzle/schema/index.js';
import type { Db } from '../../platform/db/client.js';
import { isUniqueViolation } from '../../platform/db/errors.js';
import { principalOf, requireRole } from '../auth/guards.js';
import { asApi } from '../hold-errors.js';
import { ApiError, commonErrorResponses, problemResponses } from '../problem.js';
import { createRouter } from '../router.js';
import {
  CategorySchema,
  EventSchema,
  FreeText,
  Id,
  json,
  Text,
  Timestamp,
  toCategory,
  toEvent,
} from '../schemas.js';

const EventFields = z.object({
  name: Text(200),
  description: FreeText(10_000).optional(),
  venue: Text(200),
  startsAt: Timestamp(),
  endsAt: Timestamp().nullable().optional(),
  holdTtlSeconds: z.number().int().min(5).max(3600).nullable().optional(),
  perUserLimit: z.number().int().min(1).max(1000).optional(),
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
const CreateCategoryBody = CategoryFields.openapi('CreateCategory');
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

export function adminEventRoutes(deps: {
  db: Db;
  holds: Holds;
  defaultHoldTtlSeconds: number;
  /** Appends a change to the catalog outbox (relayed to catalog.v1). */
  publish: (change: CatalogChange) => Promise<void>;
  cache: CatalogCache;
  rebuild: Omit<RebuildDeps, 'db' | 'holds' | 'defaultHoldTtlSeconds'>;
}) {
  const { db, holds, defaultHoldTtlSeconds, publish, cache } = deps;
  const now = () => new Date().toISOString();
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
      return c.json(
        {
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

  const redisState = (e: {
    status: string;
    holdTtlSeconds: number | null;
    perUserLimit: number;
  }) => ({
    status: e.status,
    holdTtlSeconds: e.holdTtlSeconds ?? defaultHoldTtlSeconds,
    perUserLimit: e.perUserLimit,
  });
  const toDate = (iso: string | null | undefined) => (iso == null ? iso : new Date(iso));

  app.openapi(createEvent, async (c) => {
    const body = c.req.valid('json');
    const actorId = principalOf(c).userId;
    const event = await db.transaction(async (tx) => {
      const row = await insertEvent(tx, {
        ...body,
        startsAt: new Date(body.startsAt),
        endsAt: toDate(body.endsAt),
        status: body.status ?? 'draft',
      });
      await recordAudit(tx, {
        actorId,
        action: 'event.created',
        targetType: 'event',
        targetId: row.id,
        requestId: c.get('requestId'),
      });
      // The record knows the event from now on, so a Redis that loses it is noticed.
      await raiseMarks(tx, deps.rebuild.namespace, [{ eventId: row.id, changeSeq: 0 }]);
      await holds.setEventState(row.id, redisState(row), { created: true });
      await publish({ type: 'event.created', eventId: row.id, at: now(), changes: body });
      return row;
    });
    await cache.invalidate();
    c.header('Location', `/v1/events/${event.id}`);
    return c.json(toEvent(event, defaultHoldTtlSeconds), 201);
  });

  app.openapi(patchEvent, async (c) => {
    const { eventId } = c.req.valid('param');
    const patch = c.req.valid('json');
    const actorId = principalOf(c).userId;
    const event = await db.transaction(async (tx) => {
      const current = await findEvent(tx, eventId, { lock: true });
      if (!current) throw new ApiError('not_found', 'No such event');
      if (patch.status && !canMove(current.status, patch.status)) {
        throw new ApiError(
          'invalid_transition',
          `An event cannot move from ${current.status} to ${patch.status}`,
          {
            extra: { from: current.status, to: patch.status },
          },
        );
      }
      const startsAt = patch.startsAt ? new Date(patch.startsAt) : current.startsAt;
      const endsAt = patch.endsAt === undefined ? current.endsAt : toDate(patch.endsAt);
      if (endsAt && endsAt < startsAt) {
        throw new ApiError('validation_failed', 'endsAt must not be before startsAt', {
          extra: {
            errors: [{ in: 'body', field: 'endsAt', message: 'must not be before startsAt' }],
          },
        });
      }
      const row = await updateEvent(tx, eventId, { ...patch, startsAt, endsAt });
      await recordAudit(tx, {
        actorId,
        action:
          patch.status && patch.status !== current.status
            ? 'event.status_changed'
            : 'event.updated',
        targetType: 'event',
        targetId: eventId,
        details: { changes: patch, previousStatus: current.status },
        requestId: c.get('requestId'),
      });
      await holds.setEventState(eventId, redisState(row));
      // A new date, venue, or a cancellation reaches every holder (the notifier fans out).
      await publish({ type: eventChangeType(current, row), eventId, at: now(), changes: patch });
      return row;
    });
    // After the commit: an edit is visible at once here, within a second everywhere.
    await cache.invalidate();
    return c.json(toEvent(event, defaultHoldTtlSeconds), 200);
  });

  app.openapi(deleteEvent, async (c) => {
    const { eventId } = c.req.valid('param');
    const actorId = principalOf(c).userId;
    await db.transaction(async (tx) => {
      const event = await findEvent(tx, eventId, { lock: true });
      if (!event) throw new ApiError('not_found', 'No such event');
      // Stop sales first, so no hold can slip in between the check and the delete.
      await holds.setEventState(eventId, { ...redisState(event), status: 'paused' });
      const live = (await holds.stock(eventId)).some((k) => k.held + k.confirmed > 0);
      const recorded = await hasReservations(tx, eventId);
      if (live || recorded) {
        await holds.setEventState(eventId, redisState(event));
        throw new ApiError('has_reservations', 'The event has reservations; cancel it instead');
      }
      await deleteEventRow(tx, eventId);
      await recordAudit(tx, {
        actorId,
        action: 'event.deleted',
        targetType: 'event',
        targetId: eventId,
        requestId: c.get('requestId'),
      });
      await publish({ type: 'event.deleted', eventId, at: now(), changes: {} });
      await holds.forgetEvent(eventId);
    });
    await cache.invalidate();
    return c.body(null, 204);
  });

  app.openapi(createCategory, async (c) => {
    const { eventId } = c.req.valid('param');
    const body = c.req.valid('json');
    const actorId = principalOf(c).userId;
    const category = await db.transaction(async (tx) => {
      const event = await findEvent(tx, eventId, { lock: true });
      if (!event) throw new ApiError('not_found', 'No such event');
      if ((await listCategories(tx, eventId)).some((k) => k.name === body.name)) {
        throw new ApiError('invalid_state', 'The event has a category of that name already');
      }
      const row = await insertCategory(tx, {
        ...body,
        eventId,
        perUserLimit: body.perUserLimit ?? null,
      });
      await recordAudit(tx, {
        actorId,
        action: 'category.created',
        targetType: 'ticket_category',
        targetId: row.id,
        details: { eventId, capacity: row.capacity },
        requestId: c.get('requestId'),
      });
      // The event's state is written too, so a drop works even if Redis lost it.
      await holds.setEventState(eventId, redisState(event));
      await asApi(() => holds.setCategory(eventId, row));
      await publish({
        type: 'category.created',
        eventId,
        categoryId: row.id,
        at: now(),
        changes: body,
      });
      return row;
    });
    await cache.invalidate();
    c.header('Location', `/v1/events/${eventId}`);
    return c.json(toCategory(category), 201);
  });

  app.openapi(patchCategory, async (c) => {
    const { eventId, categoryId } = c.req.valid('param');
    const patch = c.req.valid('json');
    const actorId = principalOf(c).userId;
    const category = await db.transaction(async (tx) => {
      const current = await findCategory(tx, eventId, categoryId, { lock: true });
      if (!current) throw new ApiError('not_found', 'No such category in this event');
      const row = await updateCategory(tx, categoryId, patch).catch((err) => {
        if (!isUniqueViolation(err)) throw err;
        throw new ApiError('invalid_state', 'The event has a category of that name already');
      });
      await recordAudit(tx, {
        actorId,
        action:
          patch.capacity !== undefined && patch.capacity !== current.capacity
            ? 'category.capacity_changed'
            : 'category.updated',
        targetType: 'ticket_category',
        targetId: categoryId,
        details: { eventId, changes: patch, previousCapacity: current.capacity },
        requestId: c.get('requestId'),
      });
      // Redis checks capacity against held + sold atomically; a refusal rolls Postgres back.
      await asApi(() => holds.setCategory(eventId, row));
      await publish({ type: 'category.updated', eventId, categoryId, at: now(), changes: patch });
      return row;
    });
    await cache.invalidate();
    return c.json(toCategory(category), 200);
  });

  return app;
}
