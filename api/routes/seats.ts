// Assigned seating (SPEC §8): a seated category's static map (each seat's id and label,
// cacheable), its live seat status (one character per seat, versioned, ETag/304), and the
// admin's blocks. The map never changes once created, so each process reads it from
// Postgres once and keeps its layout and its JSON; the status is Redis's.
import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { CatalogOperations } from '../../core/admin/catalog.js';
import type { CatalogCache } from '../../core/catalog/cache.js';
import { findCategory, findEvent } from '../../core/catalog/events.js';
import { layoutOf, type SeatLayout, seatMapDocument } from '../../core/catalog/seat-map.js';
import type { Db } from '../../platform/db/client.js';
import { principalOf, requireRole } from '../auth/guards.js';
import type { AppEnv } from '../env.js';
import { asApi } from '../hold-errors.js';
import { ADMIN_ONLY, ApiError, JSON_BODY, PARAMETERS, refusalResponses } from '../problem.js';
import {
  emptyResponse,
  jsonResponse,
  notModified,
  type Serialized,
  serialize,
} from '../responses.js';
import { createRouter } from '../router.js';
import { Id, ifNoneMatchParameter, json, SeatId } from '../schemas.js';
import type { SeatViews } from '../seat-views.js';
import { catalogRefused } from './admin-events.js';

const CategoryParams = z.object({ eventId: Id('eventId'), categoryId: Id('categoryId') });
const notFound = refusalResponses({
  ...PARAMETERS,
  not_found: 'No such event or seated category; drafts are hidden from non-admins',
});

/** A seat map's sections of rows, each row with `row`'s fields. */
const sectionsOf = <T extends z.ZodRawShape>(row: T) =>
  z.array(z.object({ name: z.string(), rows: z.array(z.object({ name: z.string(), ...row })) }));

const SeatMapSchema = z
  .object({
    capacity: z.number().int(),
    sections: sectionsOf({ seats: z.array(z.object({ id: z.string(), label: z.string() })) }),
  })
  .openapi('SeatMap');

const SeatStatusSchema = z
  .object({
    version: z.number().int(),
    sections: sectionsOf({
      status: z.string().openapi({
        description: 'One character per seat in map order: a available, h held, s sold, b blocked',
      }),
    }),
  })
  .openapi('SeatStatus');

const SeatBlocksBody = z
  .object({
    block: z.array(SeatId).max(400).default([]),
    unblock: z.array(SeatId).max(400).default([]),
  })
  .openapi('SeatBlocks');

const path = '/v1/events/{eventId}/categories/{categoryId}';

const getSeatMap = createRoute({
  method: 'get',
  path: `${path}/seat-map`,
  tags: ['events'],
  summary: 'A seated category’s map: every seat with its id and label (static: cache it)',
  request: { params: CategoryParams },
  responses: {
    200: { description: 'The map as created', ...json(SeatMapSchema) },
    ...notFound,
  },
});

const getSeats = createRoute({
  method: 'get',
  path: `${path}/seats`,
  tags: ['events'],
  summary: 'A seated category’s seats now, one status character each',
  description: 'Send the ETag back in If-None-Match: an unchanged answer is a bodiless 304.',
  parameters: [ifNoneMatchParameter],
  request: { params: CategoryParams },
  responses: {
    200: { description: 'The seats, versioned', ...json(SeatStatusSchema) },
    304: { description: 'Unchanged since the ETag given' },
    ...notFound,
  },
});

const patchSeats = createRoute({
  method: 'patch',
  path: '/v1/admin/events/{eventId}/categories/{categoryId}/seats',
  security: [{ bearerAuth: [] }],
  middleware: [requireRole('admin')],
  tags: ['admin'],
  summary: 'Block seats (off sale) or unblock them',
  // Not required: both lists default to none, so a missing body changes nothing.
  request: { params: CategoryParams, body: { required: false, ...json(SeatBlocksBody) } },
  responses: {
    200: { description: 'Changed', ...json(z.object({ version: z.number().int() })) },
    ...refusalResponses({
      ...JSON_BODY,
      ...ADMIN_ONLY,
      not_found: 'No such event or category',
      seats_unavailable:
        'A held or sold seat, or one the map does not have, cannot be blocked (`unavailable` names them)',
      invalid_state: 'The category is not seated',
    }),
  },
});

export interface SeatRouteDeps {
  db: Db;
  /** the status documents, kept in memory per seat version */
  seatViews: SeatViews;
  cache: CatalogCache;
  catalog: Pick<CatalogOperations, 'changeSeatBlocks'>;
}

interface SeatedMap {
  eventId: string;
  layout: SeatLayout;
  /** the static map's JSON, made once */
  document: Serialized<z.infer<typeof SeatMapSchema>>;
}

export function seatRoutes(deps: SeatRouteDeps) {
  const app = createRouter();
  const maps = new Map<string, SeatedMap>();
  const missing = () => new ApiError('not_found', 'No such seated category');

  /** The category's map, as a caller may see it: a draft's only by an admin. */
  async function seatedMap(c: Context<AppEnv>, eventId: string, categoryId: string) {
    const status = await deps.cache.get(
      `event-status:${eventId}`,
      async () => (await findEvent(deps.db, eventId))?.status ?? null,
    );
    if (!status || (status === 'draft' && c.get('principal')?.role !== 'admin')) throw missing();
    let map = maps.get(categoryId);
    if (!map) {
      const row = await findCategory(deps.db, eventId, categoryId);
      if (!row?.seatMap) throw missing();
      const layout = layoutOf(row.id, row.seatMap);
      map = { eventId, layout, document: serialize(seatMapDocument(layout)) };
      if (maps.size >= 1_000) maps.clear();
      maps.set(categoryId, map);
    }
    if (map.eventId !== eventId) throw missing();
    return map;
  }

  app.openapi(getSeatMap, async (c) => {
    const { eventId, categoryId } = c.req.valid('param');
    const map = await seatedMap(c, eventId, categoryId);
    return jsonResponse({ json: map.document }, 200, {
      'Cache-Control': 'public, max-age=86400',
      ETag: `"map.${categoryId}"`,
    });
  });

  app.openapi(getSeats, async (c) => {
    const { eventId, categoryId } = c.req.valid('param');
    const map = await seatedMap(c, eventId, categoryId);
    const seats = await deps.seatViews.current(eventId, categoryId, map.layout);
    if (!seats) throw missing();
    const headers = { ETag: seats.etag, 'Cache-Control': 'no-cache' };
    if (notModified(c.req.header('if-none-match'), seats.etag)) return emptyResponse(304, headers);
    return jsonResponse({ json: seats.body }, 200, headers);
  });

  app.openapi(patchSeats, async (c) => {
    const { eventId, categoryId } = c.req.valid('param');
    const blocks = c.req.valid('json');
    const actor = { actorId: principalOf(c).userId, requestId: c.get('requestId') };
    const changed = await asApi(() =>
      deps.catalog.changeSeatBlocks(eventId, categoryId, blocks, actor),
    ).catch(catalogRefused);
    return jsonResponse({ object: changed }, 200);
  });

  return app;
}
