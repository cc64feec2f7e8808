// Sales are durable before they are answered (SPEC §3, invariant 4): the api writes a
// confirmation or a cancellation to Postgres — the reservation's row, the event's mark
// (event-marks.ts) and the fan's notification (notices.ts) — before its 200, with the same
// idempotent upsert as the persister.
// Redis may lose its last second in a machine crash; a paid sale is never only there.
// Holds stay on the fast path: the persister writes them from Kafka.
//
// Group commit: one write is in flight at a time; the sales that arrive meanwhile wait
// for it and then go together in the next statement (one commit, one fsync for all).
// A traced request's sale is a span of its own (the write it went in); the writer runs for
// every sale waiting, so in none of their contexts.
import type { Sql } from '../../platform/db/client.js';
import {
  detached,
  endWithError,
  type Span,
  SpanKind,
  startChildSpan,
  tracingOn,
} from '../../platform/tracing.js';
import type { ReservationChange } from '../reservations/changes.js';
import type { Hold } from '../reservations/hold.js';
import { persistSteps } from './persist.js';

export type SaleRecorder = (sale: Hold) => Promise<void>;

interface Waiting {
  step: ReservationChange;
  done: (err?: unknown) => void;
}

/** The span of a traced request's sale: the Postgres statement it is written in. */
const saleSpan = (sale: Hold): Span | undefined =>
  tracingOn()
    ? startChildSpan(
        'postgres record sale',
        {
          'db.system.name': 'postgresql',
          'db.operation.name': 'upsert reservations',
          'drop.reservation_id': sale.id,
        },
        SpanKind.CLIENT,
      )
    : undefined;

function stepOf(sale: Hold & { status: 'confirmed' | 'cancelled' }): ReservationChange {
  const at = sale.status === 'confirmed' ? sale.confirmedAt : sale.endedAt;
  return {
    type: `reservation.${sale.status}`,
    reservationId: sale.id,
    eventId: sale.eventId,
    categoryId: sale.categoryId,
    userId: sale.userId,
    quantity: sale.quantity,
    at: new Date(at ?? Date.now()).toISOString(),
    seq: sale.seq,
    expiresAt: new Date(sale.expiresAt).toISOString(),
    eventSeq: sale.eventSeq,
    ...(sale.seats ? { seats: sale.seats } : {}),
  };
}

/**
 * `namespace`: the engine's REDIS_KEY_PREFIX (the event marks); `notifyChannel`: where the
 * fan's notification of the sale goes (NOTIFY_CHANNEL), stored with the sale itself.
 */
export function createSaleRecorder(
  sql: Sql,
  namespace: string,
  notifyChannel: string,
): SaleRecorder {
  let waiting: Waiting[] = [];
  let writing = false;

  const writeAll = detached(async () => {
    writing = true;
    while (waiting.length > 0) {
      const batch = waiting;
      waiting = [];
      try {
        await persistSteps(
          sql,
          batch.map((w) => w.step),
          { namespace, notifyChannel },
        );
        for (const w of batch) w.done();
      } catch (err) {
        for (const w of batch) w.done(err);
      }
    }
    writing = false;
  });

  return (sale) => {
    if (sale.status !== 'confirmed' && sale.status !== 'cancelled') return Promise.resolve();
    const step = stepOf(sale as Hold & { status: 'confirmed' | 'cancelled' });
    const span = saleSpan(sale);
    return new Promise<void>((resolve, reject) => {
      waiting.push({
        step,
        done: (err) => {
          if (err === undefined) {
            span?.end();
            resolve();
          } else {
            if (span) endWithError(span, err);
            reject(err);
          }
        },
      });
      if (!writing) void writeAll();
    });
  };
}
