// Sales are durable before they are answered (SPEC §3, invariant 4): the api writes a
// confirmation or a cancellation to Postgres — the reservation's row and the event's mark
// (event-marks.ts) — before its 200, with the same idempotent upsert as the persister.
// Redis may lose its last second in a machine crash; a paid sale is never only there.
// Holds stay on the fast path: the persister writes them from Kafka.
import type { Sql } from '../db/client.js';
import type { Hold } from '../reservations/holds.js';
import { persistSteps } from './persist.js';

export type SaleRecorder = (sale: Hold) => Promise<void>;

export function createSaleRecorder(sql: Sql, namespace: string): SaleRecorder {
  return async (sale) => {
    if (sale.status !== 'confirmed' && sale.status !== 'cancelled') return;
    const at = sale.status === 'confirmed' ? sale.confirmedAt : sale.endedAt;
    await persistSteps(
      sql,
      [
        {
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
        },
      ],
      namespace,
    );
  };
}
