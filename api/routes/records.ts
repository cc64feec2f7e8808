// Reads of the durable record (Postgres, eventually consistent with Redis, normally
// well under a second behind): a user's reservations and notifications, and an event's
// reservations for admins. Newest first, keyset-paged.
import { createRoute, z } from '@hono/zod-openapi';
import { findEvent } from '../../core/catalog/events.js';
import { listNotifications, listReservations } from '../../core/records/reservation-records.js';
import { RESERVATION_STATUSES } from '../../drizzle/schema/index.js';
import type { Db } from '../../platform/db/client.js';
import { principalOf, requireRole, requireUser } from '../auth/guards.js';
import { decodeCursor, PageQuery, PageSchema, page, pageQuery } from '../pagination.js';
import { ADMIN_ONLY, ApiError, PARAMETERS, refusalResponses, SIGNED_IN } from '../problem.js';
import { jsonResponse } from '../responses.js';
import { createRouter } from '../router.js';
import {
  Id,
  json,
  NotificationSchema,
  ReservationSchema,
  toNotification,
  toReservationFromRecord,
} from '../schemas.js';

const ReservationQuery = pageQuery('reservation').extend({
  status: z.enum(RESERVATION_STATUSES).optional(),
});
const position = (row: { createdAt: Date; id: string }) => ({
  t: row.createdAt.toISOString(),
  id: row.id,
});

const myReservations = createRoute({
  method: 'get',
  path: '/v1/me/reservations',
  tags: ['reservations'],
  summary: "The caller's reservations, newest first (from Postgres)",
  security: [{ bearerAuth: [] }],
  middleware: [requireUser],
  request: { query: ReservationQuery },
  responses: {
    200: { description: 'A page', ...json(PageSchema(ReservationSchema)) },
    ...refusalResponses({ ...PARAMETERS, ...SIGNED_IN }),
  },
});

const myNotifications = createRoute({
  method: 'get',
  path: '/v1/me/notifications',
  tags: ['notifications'],
  summary: "The caller's notifications, newest first",
  security: [{ bearerAuth: [] }],
  middleware: [requireUser],
  request: { query: PageQuery },
  responses: {
    200: { description: 'A page', ...json(PageSchema(NotificationSchema)) },
    ...refusalResponses({ ...PARAMETERS, ...SIGNED_IN }),
  },
});

const eventReservations = createRoute({
  method: 'get',
  path: '/v1/admin/events/{eventId}/reservations',
  tags: ['admin'],
  summary: "An event's reservations, newest first (from Postgres)",
  security: [{ bearerAuth: [] }],
  middleware: [requireRole('admin')],
  request: { params: z.object({ eventId: Id('eventId') }), query: ReservationQuery },
  responses: {
    200: { description: 'A page', ...json(PageSchema(ReservationSchema)) },
    ...refusalResponses({ ...PARAMETERS, ...ADMIN_ONLY, not_found: 'No such event' }),
  },
});

export function recordRoutes({ db }: { db: Db }) {
  const app = createRouter();

  app.openapi(myReservations, async (c) => {
    const { limit, cursor, status } = c.req.valid('query');
    const rows = await listReservations(
      db,
      { userId: principalOf(c).userId, status },
      { limit, after: decodeCursor(cursor) },
    );
    const { items, nextCursor } = page(rows, limit, position);
    return jsonResponse({ object: { items: items.map(toReservationFromRecord), nextCursor } }, 200);
  });

  app.openapi(myNotifications, async (c) => {
    const { limit, cursor } = c.req.valid('query');
    const rows = await listNotifications(db, principalOf(c).userId, {
      limit,
      after: decodeCursor(cursor),
    });
    const { items, nextCursor } = page(rows, limit, position);
    return jsonResponse({ object: { items: items.map(toNotification), nextCursor } }, 200);
  });

  app.openapi(eventReservations, async (c) => {
    const { limit, cursor, status } = c.req.valid('query');
    const { eventId } = c.req.valid('param');
    if (!(await findEvent(db, eventId))) throw new ApiError('not_found', 'No such event');
    const rows = await listReservations(
      db,
      { eventId, status },
      { limit, after: decodeCursor(cursor) },
    );
    const { items, nextCursor } = page(rows, limit, position);
    return jsonResponse({ object: { items: items.map(toReservationFromRecord), nextCursor } }, 200);
  });

  return app;
}
