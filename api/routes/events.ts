// Public catalog reads: an event with its categories (Postgres), and live availability
// (Redis, the authority for stock) with an ETag so polling clients get 304s.
import { createHash } from 'node:crypto';
import { createRoute, z } from '@hono/zod-openapi';
import { findEvent, listCategories } from '../../common/catalog/events.js';
import type { Db } from '../../common/db/client.js';
import type { Holds } from '../../common/reservations/holds.js';
import { ApiError, commonErrorResponses, problemResponses } from '../problem.js';
import { createRouter } from '../router.js';
import { EventWithCategoriesSchema, Id, json, toCategory, toEvent } from '../schemas.js';

const EventParams = z.object({ eventId: Id('eventId') });

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
      }),
    ),
    asOf: z.iso.datetime(),
  })
  .openapi('Availability');

const getEvent = createRoute({
  method: 'get',
  path: '/v1/events/{eventId}',
  tags: ['catalog'],
  summary: 'An event with its ticket categories',
  request: { params: EventParams },
  responses: {
    200: { description: 'The event', ...json(EventWithCategoriesSchema) },
    ...commonErrorResponses,
    ...problemResponses([404, 'No such event (not_found); drafts are hidden from non-admins']),
  },
});

const getAvailability = createRoute({
  method: 'get',
  path: '/v1/events/{eventId}/availability',
  tags: ['catalog'],
  summary: 'Live availability per category, from Redis',
  description: 'Send the ETag back in If-None-Match: an unchanged answer is a bodiless 304.',
  request: {
    params: EventParams,
    headers: z.object({ 'if-none-match': z.string().optional() }),
  },
  responses: {
    200: { description: 'Availability now', ...json(AvailabilitySchema) },
    304: { description: 'Unchanged since the ETag given' },
    ...commonErrorResponses,
    ...problemResponses([404, 'No such event (not_found)']),
  },
});

export function eventRoutes(deps: { db: Db; holds: Holds; defaultHoldTtlSeconds: number }) {
  const { db, holds } = deps;
  const app = createRouter();
  const notFound = () => new ApiError('not_found', 'No such event');

  app.openapi(getEvent, async (c) => {
    const event = await findEvent(db, c.req.valid('param').eventId);
    if (!event || (event.status === 'draft' && c.get('principal')?.role !== 'admin'))
      throw notFound();
    const categories = await listCategories(db, event.id);
    return c.json(
      { ...toEvent(event, deps.defaultHoldTtlSeconds), categories: categories.map(toCategory) },
      200,
    );
  });

  app.openapi(getAvailability, async (c) => {
    const { eventId } = c.req.valid('param');
    const state = await holds.eventState(eventId);
    if (!state || (state.status === 'draft' && c.get('principal')?.role !== 'admin'))
      throw notFound();
    const categories = (await holds.stock(eventId)).map(({ id, name, capacity, available }) => ({
      id,
      name,
      capacity,
      available,
    }));
    // The ETag covers what can change, not the timestamp.
    const etag = `"${createHash('sha1')
      .update(JSON.stringify([state.status, categories]))
      .digest('base64url')}"`;
    c.header('ETag', etag);
    c.header('Cache-Control', 'no-cache');
    const ifNoneMatch = c.req.valid('header')['if-none-match'];
    if (ifNoneMatch?.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag)) {
      return c.body(null, 304);
    }
    return c.json(
      { eventId, status: state.status, categories, asOf: new Date().toISOString() },
      200,
    );
  });

  return app;
}
