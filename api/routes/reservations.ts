// Reservations: hold stock, read, confirm (simulated payment), release or cancel.
// Every state change is one Lua script in Redis; a confirm and a give-back are also written
// to Postgres before the 200 (the sale is durable); nothing waits on Kafka.
import { createRoute, z } from '@hono/zod-openapi';
import type { QueuePasses } from '../../core/queue/passes.js';
import { findReservation } from '../../core/records/reservation-records.js';
import type { SaleRecorder } from '../../core/records/sales.js';
import { HoldError, HoldRefusal, type Idempotency } from '../../core/reservations/hold.js';
import type { Holds } from '../../core/reservations/holds.js';
import { FAILING_PAYMENT_TOKEN, type Payments } from '../../core/reservations/payments.js';
import { refusalFromView } from '../../core/reservations/view-refusal.js';
import type { Db } from '../../platform/db/client.js';
import { principalOf, requireUser } from '../auth/guards.js';
import type { DomainMetrics } from '../domain-metrics.js';
import { DROP_ACCESS_REFUSALS, type DropAccess, dropAccessParameters } from '../drop-access.js';
import type { EventViews } from '../event-views.js';
import { handValidated, jsonBody } from '../hand-validated.js';
import { asApi, holdRefusalToApiError } from '../hold-errors.js';
import {
  ApiError,
  JSON_BODY,
  PARAMETERS,
  type Refusals,
  refusalResponses,
  SIGNED_IN,
} from '../problem.js';
import { jsonResponse } from '../responses.js';
import { createRouter, validHeader } from '../router.js';
import {
  Absent,
  Chars,
  json,
  placedHoldJson,
  ReservationId,
  ReservationSchema,
  SeatId,
  toReservation,
  toReservationFromRecord,
  UUID,
} from '../schemas.js';
import { reserveSeats, seatedRequest } from '../seated-reserve.js';

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
/** Documented here, read in the handler: only an event with a waiting room asks for it. */
const queuePassParameter = {
  in: 'header' as const,
  name: 'Queue-Pass',
  required: false,
  // No maxLength: an event without a waiting room never reads it, so the schema may not
  // promise to refuse a long one (a pass over 2,048 characters is never valid).
  schema: { type: 'string' as const },
  description: 'The pass of the event’s waiting room (SPEC §7), when it has one enabled',
};

/** Two shapes: tickets by count (SPEC §2; for a seated category `adjacent`, §8), or seats. */
export const ReserveBody = z
  .union([
    z.object({
      eventId: z.uuid(),
      categoryId: z.uuid(),
      quantity: z.number().int().min(1).max(10),
      /** SPEC §8: the engine picks `quantity` adjacent seats in one row */
      adjacent: z.boolean().optional(),
      seats: Absent('give quantity, or seats for a seated category, not both'),
    }),
    z.object({
      eventId: z.uuid(),
      categoryId: z.uuid(),
      /** SPEC §8: exactly these seats, all or none */
      seats: z
        .array(SeatId)
        .min(1)
        .max(10)
        .refine((ids) => new Set(ids).size === ids.length, 'must not name a seat twice')
        .openapi({ uniqueItems: true }),
      quantity: Absent('give quantity, or seats for a seated category, not both'),
      adjacent: Absent('goes with quantity'),
    }),
  ])
  .openapi('ReserveRequest');

const ConfirmBody = z.object({ paymentToken: Chars(1, 200).optional() }).openapi('ConfirmRequest');

/** The reserve bodies accepted without zod (see jsonBody); the schema judges the rest. */
export function acceptReserveBody(value: unknown): z.output<typeof ReserveBody> | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { eventId, categoryId, quantity, seats, adjacent } = value as Record<string, unknown>;
  if (
    seats === undefined &&
    adjacent === undefined &&
    typeof eventId === 'string' &&
    UUID.test(eventId) &&
    typeof categoryId === 'string' &&
    UUID.test(categoryId) &&
    typeof quantity === 'number' &&
    Number.isInteger(quantity) &&
    quantity >= 1 &&
    quantity <= 10
  )
    return { eventId, categoryId, quantity };
  return undefined;
}

const ReservationParams = z.object({ id: ReservationId });
const authed = {
  security: [{ bearerAuth: [] }],
  middleware: [requireUser],
  tags: ['reservations'],
};
/** A step on one reservation: its id checked, its owner's token, its state in Redis. */
const onReservation: Refusals = {
  ...PARAMETERS,
  ...SIGNED_IN,
  not_found: 'No such reservation, or not yours',
  dependency_unavailable:
    'A backing service is unavailable, or the event’s stock is being checked after a Redis restart; retry after Retry-After',
};
const keyReused: Refusals = {
  idempotency_key_reused: 'The Idempotency-Key was used with another body',
};

const reserve = createRoute({
  ...authed,
  method: 'post',
  path: '/v1/reservations',
  summary: 'Hold tickets (they expire unless confirmed)',
  parameters: [idempotencyKeyParameter, queuePassParameter, ...dropAccessParameters],
  request: { body: { required: true, ...json(ReserveBody) } },
  responses: {
    201: { description: 'Held', ...json(ReservationSchema) },
    ...refusalResponses({
      ...SIGNED_IN,
      ...JSON_BODY,
      ...DROP_ACCESS_REFUSALS,
      queue_pass_required: 'The event has a waiting room and no Queue-Pass was sent',
      queue_pass_invalid: 'The Queue-Pass is not a valid pass of yours for this event',
      not_found: 'No such event or category on sale',
      sold_out: 'Fewer tickets left than asked for; `available` says how many',
      limit_exceeded: 'Over the event’s or the category’s per-user limit (`limit`, `current`)',
      not_on_sale: 'The event is not on sale (`eventStatus`)',
      seats_unavailable: 'Seated (SPEC §8): a seat asked for is taken or blocked (`unavailable`)',
      no_adjacent_seats: 'Seated: no row has `quantity` adjacent seats left',
      single_seat_gap: 'Seated, with noSingleSeatGaps: the choice would leave a lone empty seat',
      ...keyReused,
      dependency_unavailable: onReservation.dependency_unavailable as string,
    }),
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
    ...refusalResponses(onReservation),
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
    ...refusalResponses({
      ...onReservation,
      ...JSON_BODY,
      payment_failed:
        'The payment failed (now, or first under this Idempotency-Key); the hold stays held',
      invalid_state: 'Released, cancelled, or being paid already',
      hold_expired: 'The hold expired',
      ...keyReused,
    }),
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
    ...refusalResponses({
      ...onReservation,
      invalid_state: 'Being paid right now, or ended already',
      hold_expired: 'The hold expired',
    }),
  },
});

export interface ReservationDeps {
  holds: Holds;
  metrics: DomainMetrics;
  db: Db;
  payments: Payments;
  /** Writes a confirmation or cancellation to Postgres: it is durable before the 200. */
  recordSale: SaleRecorder;
  /** Whether an event Redis does not have is one the record says it held (a data loss). */
  eventLost: (eventId: string) => Promise<boolean>;
  passes: QueuePasses;
  /** Each event as a crowd sees it, in memory: refuses a sold-out reserve without Redis. */
  views: Pick<EventViews, 'peek' | 'touch'>;
  /** the presale code and bot challenge of an event without a waiting room (SPEC §9) */
  access: Pick<DropAccess, 'gate'>;
}

// Each state change is one Lua script, and the script's first check is ownership (someone
// else's hold is the same 404 as a missing one: no BOLA oracle), so no route reads the
// hold first: a reserve, a confirm and a give-back are one Redis round trip each.
export function reservationRoutes({
  holds,
  db,
  metrics,
  payments,
  recordSale,
  eventLost,
  passes,
  views,
  access,
}: ReservationDeps) {
  const app = createRouter();

  /** The Queue-Pass as the reserve script takes it: its id, 'invalid', or '' for none. */
  async function checkedPass(token: string, userId: string, eventId: string) {
    const pass = token.length <= 2048 ? await passes.verify(token) : null;
    if (pass && pass.userId === userId && pass.eventId === eventId) return pass.id;
    return 'invalid';
  }

  /** What a failed reserve answers: its refusal over HTTP, or the error itself. */
  async function reserveError(err: unknown, eventId: string) {
    if (!(err instanceof HoldRefusal)) return err;
    // Redis has no such event. After a total Redis loss that holds for every event until
    // the verifier restores it: the record says whether this Redis held it.
    if (err.code === HoldError.EventNotFound && (await eventLost(eventId)))
      return holdRefusalToApiError(new HoldRefusal(HoldError.Fenced, []));
    return holdRefusalToApiError(err);
  }

  const idempotency = (key: string | undefined, fingerprint: string): Idempotency | undefined =>
    key ? { key, fingerprint } : undefined;

  // The hot route: documented from its definition, its body read in the handler (jsonBody),
  // so a reserve passes through no validator layers.
  app.openapi(handValidated(app, reserve), async (c) => {
    const { userId } = principalOf(c);
    const body = await jsonBody(c, ReserveBody, acceptReserveBody);
    const key = validHeader(c, 'idempotency-key', IdempotencyKey);
    const passHeader = c.req.header('queue-pass');
    const queuePass =
      passHeader === undefined ? '' : await checkedPass(passHeader, userId, body.eventId);
    const seated = seatedRequest(body);
    if (seated) {
      const reserved = { holds, metrics, views, access, reserveError };
      return reserveSeats(reserved, { ...seated, userId, key, queuePass }, c);
    }
    const quantity = body.quantity as number;
    // One try for the hot path, not a wrapper per concern (track, asApi): each was an
    // async layer of its own.
    let placed: Awaited<ReturnType<Holds['reserve']>>;
    try {
      // Presale code and bot challenge, for an event without a waiting room: before stock.
      const gated = access.gate('reserve', body.eventId, userId, c);
      if (gated) await gated;
      // Sold out (or no pass) as memory knows it: refused without a Redis call. Not with an
      // Idempotency-Key: its replay must give the original answer, which only Redis has.
      const view = key === undefined ? views.peek(body.eventId) : undefined;
      const refusal = view && refusalFromView(view, body.categoryId, quantity, queuePass);
      if (refusal) throw refusal;
      placed = await holds.reserve({
        userId,
        eventId: body.eventId,
        categoryId: body.categoryId,
        quantity,
        queuePass,
        idempotency: idempotency(key, `reserve|${body.eventId}|${body.categoryId}|${quantity}`),
      });
    } catch (err) {
      // Counted whatever it comes to, a failed look at the record included.
      const answer = await reserveError(err, body.eventId).catch((lookup: unknown) => lookup);
      metrics.count('reserve', answer);
      throw answer;
    }
    metrics.count('reserve');
    const { hold, replayed } = placed;
    // This process's next availability read shows its own change at once.
    views.touch(hold.eventId);
    if (queuePass && queuePass !== 'invalid' && !replayed) metrics.queuePassUsed();
    const headers: Record<string, string> = { Location: `/v1/reservations/${hold.id}` };
    if (replayed) headers['Idempotent-Replayed'] = 'true';
    return jsonResponse({ json: placedHoldJson(hold) }, 201, headers);
  });

  app.openapi(getReservation, async (c) => {
    const { id } = c.req.valid('param');
    const principal = principalOf(c);
    const hold = await holds.find(id);
    if (hold) {
      if (hold.userId === principal.userId || principal.role === 'admin')
        return jsonResponse({ object: toReservation(hold) }, 200);
      throw new ApiError('not_found', 'No such reservation');
    }
    // Redis forgets ended holds after a while; the durable record does not.
    const row = await findReservation(db, id);
    if (!row || (row.userId !== principal.userId && principal.role !== 'admin')) {
      throw new ApiError('not_found', 'No such reservation');
    }
    return jsonResponse({ object: toReservationFromRecord(row) }, 200);
  });

  app.openapi(confirm, async (c) => {
    const { userId } = principalOf(c);
    const holdId = c.req.valid('param').id;
    const { paymentToken } = c.req.valid('json') ?? {};
    const key = validHeader(c, 'idempotency-key', IdempotencyKey);
    const idem = idempotency(key, `confirm|${holdId}|${paymentToken ?? ''}`);

    const confirmed = await metrics.track('confirm', async () => {
      let claimed = false;
      if (!payments.instant) {
        // The hold is `confirming` while the payment runs: it cannot expire under it.
        const begun = await asApi(() => holds.beginConfirm(holdId, userId, idem));
        if (begun.alreadyConfirmed) return begun.hold;
        claimed = true;
      }
      const outcome = await payments.charge(holdId, paymentToken);
      const step = idem && { ...idem, claimed };
      if (outcome === 'declined') {
        const failed = await asApi(() => holds.failPayment(holdId, userId, step));
        if (failed.replayed) return failed.hold;
        throw new ApiError(
          'payment_failed',
          'The payment was declined; the hold stays until it expires',
        );
      }
      return (await asApi(() => holds.confirm(holdId, userId, step))).hold;
    });
    // A replay writes again: the first answer may have been lost before its write was.
    await recordSale(confirmed);
    return jsonResponse({ object: toReservation(confirmed) }, 200);
  });

  app.openapi(remove, async (c) => {
    const { userId } = principalOf(c);
    const ended = await metrics.track(
      'release',
      () => asApi(() => holds.giveBack(c.req.valid('param').id, userId)),
      (hold) => (hold.status === 'cancelled' ? 'cancel' : 'release'),
    );
    // The stock is back: this process's next reserve must not be refused from memory.
    views.touch(ended.eventId);
    await recordSale(ended);
    return jsonResponse({ object: toReservation(ended) }, 200);
  });

  return app;
}
