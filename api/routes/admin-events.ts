// Admin: the routes that run a drop — create and edit events (status moves reach Redis
// at once) and their ticket categories (seeding and adjusting stock in Redis). Each
// handler parses, calls one catalog operation (core/admin/catalog.ts, where the
// Postgres/Redis ordering and its failure cases are written), and shapes the answer.
import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { type CatalogOperations, CatalogRefusal } from '../../core/admin/catalog.js';
import { recordAudit } from '../../core/audit.js';
import { DEFAULT_CHALLENGE_DIFFICULTY } from '../../core/catalog/drop-access.js';
import { INITIAL_STATUSES } from '../../core/catalog/status.js';
import { type RebuildDeps, RebuildRefused, rebuildNow } from '../../core/records/rebuild.js';
import type { Holds } from '../../core/reservations/holds.js';
import { EVENT_STATUSES } from '../../drizzle/schema/index.js';
import type { Db } from '../../platform/db/client.js';
import { principalOf, requireRole } from '../auth/guards.js';
import type { AppEnv } from '../env.js';
import { asApi } from '../hold-errors.js';
import {
  ADMIN_ONLY,
  ApiError,
  JSON_BODY,
  PARAMETERS,
  type Refusals,
  refusalResponses,
} from '../problem.js';
import { emptyResponse, jsonResponse } from '../responses.js';
import { createRouter } from '../router.js';
import {
  Absent,
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

const AdmitPerSecond = z.number().int().min(1).max(100_000);
const PassTtlSeconds = z.number().int().min(30).max(86_400);
/** Two shapes, so the document can say that an enabled room needs its admission rate. */
const WaitingRoomInput = z
  .discriminatedUnion('enabled', [
    z.object({
      enabled: z.literal(true),
      admitPerSecond: AdmitPerSecond,
      passTtlSeconds: PassTtlSeconds.optional(),
    }),
    z.object({
      enabled: z.literal(false),
      admitPerSecond: AdmitPerSecond.optional(),
      passTtlSeconds: PassTtlSeconds.optional(),
    }),
  ])
  .openapi('WaitingRoomSettings', {
    description:
      'SPEC §7. Replaces the event’s settings as a whole; passTtlSeconds defaults to 600.',
  });

/** Two shapes, so the document can say that an enabled presale needs its end. */
const PresaleInput = z
  .discriminatedUnion('enabled', [
    z.object({ enabled: z.literal(true), endsAt: Timestamp('when the presale ends') }),
    z.object({
      enabled: z.literal(false),
      endsAt: Timestamp('when the presale ends').nullable().optional(),
    }),
  ])
  .openapi('PresaleSettings', {
    description:
      'SPEC §9. Until endsAt, joining the waiting room (or reserving, without one) needs a presale code; replaces the setting whole.',
  });

const BotChallengeInput = z
  .object({
    enabled: z.boolean(),
    difficulty: z.number().int().min(1000).max(10_000_000).optional(),
  })
  .openapi('BotChallengeSettings', {
    description: `SPEC §9. Joining (or reserving, without a waiting room) needs a proof-of-work solution; difficulty is the challenge's maxnumber (default ${DEFAULT_CHALLENGE_DIFFICULTY}).`,
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
  presale: PresaleInput.optional(),
  botChallenge: BotChallengeInput.optional(),
});
/**
 * A body that gives both times, the end not before the start (as instants: the offsets
 * may differ). A rule across fields, which a JSON Schema cannot state: the descriptions
 * say it, and the fuzzer is told (tools/dev/fuzz/hooks.py).
 */
const endsAfterStart = {
  check: (e: { startsAt?: string; endsAt?: string | null }) =>
    !e.startsAt || !e.endsAt || Date.parse(e.endsAt) >= Date.parse(e.startsAt),
  rule: { path: ['endsAt'], message: 'must not be before startsAt' },
  description: 'endsAt, when given, must not be before startsAt.',
};
const CreateEventBody = EventFields.extend({ status: z.enum(INITIAL_STATUSES).optional() })
  .refine(endsAfterStart.check, endsAfterStart.rule)
  .openapi('CreateEvent', { description: endsAfterStart.description });
const PatchEventBody = EventFields.partial()
  .extend({ status: z.enum(EVENT_STATUSES).optional() })
  .refine((p) => Object.keys(p).length > 0, { message: 'give at least one field to change' })
  .refine(endsAfterStart.check, endsAfterStart.rule)
  .openapi('PatchEvent', {
    minProperties: 1,
    description: `${endsAfterStart.description} One given against the time stored is a conflict (409 invalid_state).`,
  });

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
/** Two shapes: a category by count (capacity), or a seated one (seatMap, SPEC §8). */
const CreateCategoryBody = z
  .union([
    CategoryFields.extend({
      seatMap: Absent('give capacity, or seatMap for a seated category (SPEC §8), not both'),
      noSingleSeatGaps: Absent('is for a seated category (with seatMap)'),
    }),
    CategoryFields.omit({ capacity: true }).extend({
      seatMap: SeatMapBody,
      noSingleSeatGaps: z.boolean().optional(),
      capacity: Absent('give capacity, or seatMap for a seated category (SPEC §8), not both'),
    }),
  ])
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
export const admin = {
  security: [{ bearerAuth: [] }],
  middleware: [requireRole('admin')],
  tags: ['admin'],
};
const onEvent: Refusals = { ...PARAMETERS, ...ADMIN_ONLY, not_found: 'No such event' };
const onCategory: Refusals = { ...onEvent, not_found: 'No such event or category' };

const createEvent = createRoute({
  ...admin,
  method: 'post',
  path: '/v1/admin/events',
  summary: 'Create an event (draft unless a status is given)',
  request: { body: { required: true, ...json(CreateEventBody) } },
  responses: {
    201: { description: 'Created', ...json(EventSchema) },
    ...refusalResponses({ ...ADMIN_ONLY, ...JSON_BODY }),
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
    ...refusalResponses({
      ...onEvent,
      ...JSON_BODY,
      invalid_transition: 'Illegal status move',
      invalid_state: 'The event would end before it starts (a time given against the one stored)',
    }),
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
    ...refusalResponses({ ...onEvent, has_reservations: 'It has reservations' }),
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
    ...refusalResponses({
      ...onEvent,
      ...JSON_BODY,
      invalid_state: 'A category of that name exists',
    }),
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
    ...refusalResponses({
      ...onCategory,
      ...JSON_BODY,
      capacity_below_sold: 'Capacity below held + sold (`heldAndSold`)',
      invalid_state: 'The name is taken by another category of the event',
    }),
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
    ...refusalResponses(onEvent),
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
      // The body alone was fine (its schema checks the two times it gives): the time
      // stored is what it conflicts with.
      throw new ApiError('invalid_state', `The event would end before it starts: ${err.message}`);
    case 'has_reservations':
      throw new ApiError('has_reservations', err.message);
    case 'name_taken':
    case 'not_seated':
    case 'seated_capacity':
      throw new ApiError('invalid_state', err.message);
    case 'unknown_seats':
      throw new ApiError('seats_unavailable', err.message, { extra: err.extra });
    case 'invalid_seats':
      throw new ApiError('validation_failed', err.message, {
        extra: { errors: [{ in: 'body', field: '', message: err.message }], ...err.extra },
      });
  }
};

export function adminEventRoutes(deps: {
  /** the catalog's operations (core/admin/catalog.ts) */
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
