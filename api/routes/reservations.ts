// Reservations: hold stock, read, confirm (simulated payment), release or cancel.
// Every state change is one Lua script in Redis; HTTP never waits on Kafka or Postgres.
import { createRoute, z } from '@hono/zod-openapi';
import { v7 as uuidv7 } from 'uuid';
import type { Db } from '../../common/db/client.js';
import { findReservation } from '../../common/pipeline/reservation-records.js';
import type { Holds, Idempotency } from '../../common/reservations/holds.js';
import { principalOf, requireUser } from '../auth/guards.js';
import type { DomainMetrics } from '../domain-metrics.js';
import { asApi } from '../hold-errors.js';
import { jsonResponse } from '../node-http.js';
import { ApiError, commonErrorResponses, problemResponses } from '../problem.js';
import { createRouter, validHeader } from '../router.js';
import { Id, json, ReservationSchema, toReservation, toReservationFromRecord } from '../schemas.js';

/** The simulated payment provider's token that always fails (SPEC §2). */
export const FAILING_PAYMENT_TOKEN = 'tok_fail';

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;
const IdempotencyKey = z
  .string()
  .regex(IDEMPOTENCY_KEY, 'must be 1 to 255 visible ASCII characters');
/** Documented here, checked by validHeader in the handler (see router.ts). */
const idempotencyKeyParameter = {
  in: 'header' as const,
  name: 'Idempotency-Key',
  required: false,
  schema: { type: 'string' as const, pattern: IDEMPOTENCY_KEY.source },
  description: 'Replays return the original response; kept 24 h, per user',
};

const ReserveBody = z
  .object({
    eventId: z.uuid(),
    categoryId: z.uuid(),
    quantity: z.number().int().min(1).max(10),
  })
  .openapi('ReserveRequest');

const ConfirmBody = z
  .object({ paymentToken: z.string().min(1).max(200).optional() })
  .openapi('ConfirmRequest');

const ReservationParams = z.object({ id: Id('id') });
const authed = {
  security: [{ bearerAuth: [] }],
  middleware: [requireUser],
  tags: ['reservations'],
};
const notFound = [404, 'No such reservation, or not yours (not_found)'] as [number, string];

const reserve = createRoute({
  ...authed,
  method: 'post',
  path: '/v1/reservations',
  summary: 'Hold tickets (they expire unless confirmed)',
  parameters: [idempotencyKeyParameter],
  request: { body: { required: true, ...json(ReserveBody) } },
  responses: {
    201: { description: 'Held', ...json(ReservationSchema) },
    ...commonErrorResponses,
    ...problemResponses(
      [401, 'No valid access token (unauthorized)'],
      [404, 'No such event or category (not_found)'],
      [409, 'sold_out (with `available`), limit_exceeded or not_on_sale'],
      [422, 'The Idempotency-Key was used with another body (idempotency_key_reused)'],
    ),
  },
});

const getReservation = createRoute({
  ...authed,
  method: 'get',
  path: '/v1/reservations/{id}',
  summary: 'A reservation (its owner, or an admin)',
  request: { params: ReservationParams },
  responses: {
    200: { description: 'The reservation', ...json(ReservationSchema) },
    ...commonErrorResponses,
    ...problemResponses([401, 'No valid access token (unauthorized)'], notFound),
  },
});

const confirm = createRoute({
  ...authed,
  method: 'post',
  path: '/v1/reservations/{id}/confirm',
  summary: 'Pay for a hold and confirm it',
  description: `Payment is simulated: paymentToken "${FAILING_PAYMENT_TOKEN}" fails. Confirming twice returns the confirmed reservation.`,
  parameters: [idempotencyKeyParameter],
  request: {
    params: ReservationParams,
    body: { required: false, ...json(ConfirmBody) },
  },
  responses: {
    200: { description: 'Confirmed', ...json(ReservationSchema) },
    ...commonErrorResponses,
    ...problemResponses(
      [401, 'No valid access token (unauthorized)'],
      [402, 'The payment failed (payment_failed); the hold stays held'],
      notFound,
      [409, 'Released, cancelled, or being paid already (invalid_state)'],
      [410, 'The hold expired (hold_expired)'],
      [422, 'The Idempotency-Key was used with another body (idempotency_key_reused)'],
    ),
  },
});

const remove = createRoute({
  ...authed,
  method: 'delete',
  path: '/v1/reservations/{id}',
  summary: 'Release a hold, or cancel a confirmed reservation',
  description: 'The tickets go back on sale at once.',
  request: { params: ReservationParams },
  responses: {
    200: { description: 'Released or cancelled', ...json(ReservationSchema) },
    ...commonErrorResponses,
    ...problemResponses(
      [401, 'No valid access token (unauthorized)'],
      notFound,
      [409, 'Being paid right now (invalid_state)'],
      [410, 'The hold expired (hold_expired)'],
    ),
  },
});

export interface ReservationDeps {
  holds: Holds;
  metrics: DomainMetrics;
  db: Db;
  paymentDelayMs: number;
}

const wait = (ms: number) => (ms > 0 ? new Promise((r) => setTimeout(r, ms)) : Promise.resolve());

export function reservationRoutes({ holds, db, metrics, paymentDelayMs }: ReservationDeps) {
  const app = createRouter();

  /** The caller's live hold, or 404 (also for someone else's: no BOLA oracle). */
  async function ownHold(holdId: string, principal: { userId: string }) {
    const hold = await holds.find(holdId);
    if (!hold || hold.userId !== principal.userId)
      throw new ApiError('not_found', 'No such reservation');
    return hold;
  }

  const idempotency = (key: string | undefined, fingerprint: string): Idempotency | undefined =>
    key ? { key, fingerprint } : undefined;

  app.openapi(reserve, async (c) => {
    const { userId } = principalOf(c);
    const body = c.req.valid('json');
    const key = validHeader(c, 'idempotency-key', IdempotencyKey);
    const { hold, replayed } = await metrics.track('reserve', () =>
      asApi(() =>
        holds.reserve({
          holdId: uuidv7(),
          userId,
          ...body,
          idempotency: idempotency(
            key,
            `reserve|${body.eventId}|${body.categoryId}|${body.quantity}`,
          ),
        }),
      ),
    );
    const headers: Record<string, string> = { Location: `/v1/reservations/${hold.id}` };
    if (replayed) headers['Idempotent-Replayed'] = 'true';
    return jsonResponse({ object: toReservation(hold) }, 201, headers);
  });

  app.openapi(getReservation, async (c) => {
    const { id } = c.req.valid('param');
    const principal = principalOf(c);
    const hold = await holds.find(id);
    if (hold) {
      if (hold.userId === principal.userId || principal.role === 'admin')
        return c.json(toReservation(hold), 200);
      throw new ApiError('not_found', 'No such reservation');
    }
    // Redis forgets ended holds after a while; the durable record does not.
    const row = await findReservation(db, id);
    if (!row || (row.userId !== principal.userId && principal.role !== 'admin')) {
      throw new ApiError('not_found', 'No such reservation');
    }
    return c.json(toReservationFromRecord(row), 200);
  });

  app.openapi(confirm, async (c) => {
    const principal = principalOf(c);
    const holdId = c.req.valid('param').id;
    const { paymentToken } = c.req.valid('json') ?? {};
    const key = validHeader(c, 'idempotency-key', IdempotencyKey);
    // Ownership is the scripts' own first check (a foreign or unknown hold is the same 404),
    // so the hold is not read beforehand: only its event, which this process usually knows.
    const eventId = await holds.eventOf(holdId);
    if (!eventId) throw new ApiError('not_found', 'No such reservation');
    const idem = idempotency(key, `confirm|${holdId}|${paymentToken ?? ''}`);

    const confirmed = await metrics.track('confirm', async () => {
      const begun = await asApi(() =>
        holds.beginConfirm({ id: holdId, eventId }, principal.userId, idem),
      );
      if (begun.alreadyConfirmed) return begun.hold;
      // The simulated payment provider. The hold is `confirming` meanwhile: it cannot expire.
      await wait(paymentDelayMs);
      if (paymentToken === FAILING_PAYMENT_TOKEN) {
        await asApi(() => holds.failPayment(begun.hold, principal.userId, idem));
        throw new ApiError(
          'payment_failed',
          'The payment was declined; the hold stays until it expires',
        );
      }
      return asApi(() => holds.confirm(begun.hold, principal.userId, idem));
    });
    return jsonResponse({ object: toReservation(confirmed) }, 200);
  });

  app.openapi(remove, async (c) => {
    const principal = principalOf(c);
    const hold = await ownHold(c.req.valid('param').id, principal);
    const operation =
      hold.status === 'confirmed' || hold.status === 'cancelled' ? 'cancel' : 'release';
    const ended = await metrics.track(operation, () =>
      asApi(async () => {
        if (hold.status === 'confirmed' || hold.status === 'cancelled') {
          return holds.cancel(hold, principal.userId);
        }
        try {
          return await holds.release(hold, principal.userId);
        } catch (err) {
          // Confirmed between our read and the release: cancel it instead.
          const confirmedMeanwhile = (err as { info?: string[] }).info?.[0] === 'confirmed';
          if (confirmedMeanwhile) return holds.cancel(hold, principal.userId);
          throw err;
        }
      }),
    );
    return c.json(toReservation(ended), 200);
  });

  return app;
}
