// A reserve of seats (SPEC §8): exactly the seats asked for, or the best `quantity`
// adjacent ones. One script of its own (core/reservations/seating.ts), outside the group
// commit of reserves by count; the same drop-access gates, Idempotency-Key, queue pass,
// refusals from memory, metrics and refusals as those, so the route differs only in what
// it asks Redis.
import type { Context } from 'hono';
import type { Idempotency } from '../core/reservations/hold.js';
import type { Holds } from '../core/reservations/holds.js';
import type { SeatChoice } from '../core/reservations/seating.js';
import { refusalFromView } from '../core/reservations/view-refusal.js';
import type { DomainMetrics } from './domain-metrics.js';
import type { DropAccess } from './drop-access.js';
import type { AppEnv } from './env.js';
import type { EventViews } from './event-views.js';
import { jsonResponse } from './responses.js';
import { placedHoldJson } from './schemas.js';

/** A seated reserve as the route read it. */
export interface SeatedRequest {
  eventId: string;
  categoryId: string;
  choice: SeatChoice;
}

/** The seated request a reserve body makes, or null for one by count. */
export function seatedRequest(body: {
  eventId: string;
  categoryId: string;
  quantity?: number;
  adjacent?: boolean;
  seats?: string[];
}): SeatedRequest | null {
  const { eventId, categoryId } = body;
  if (body.seats) return { eventId, categoryId, choice: { seats: body.seats } };
  if (body.adjacent && body.quantity !== undefined)
    return { eventId, categoryId, choice: { adjacent: body.quantity } };
  return null;
}

/** What the Idempotency-Key's fingerprint says of a seated reserve (its seats, its count). */
const fingerprintOf = ({ eventId, categoryId, choice }: SeatedRequest) =>
  `reserve|${eventId}|${categoryId}|${'seats' in choice ? `seats:${choice.seats.join(',')}` : `adjacent:${choice.adjacent}`}`;

export interface SeatedReserveDeps {
  holds: Pick<Holds, 'reserveSeats'>;
  metrics: DomainMetrics;
  views: Pick<EventViews, 'touch' | 'peek'>;
  /** the presale code and bot challenge of an event without a waiting room (SPEC §9) */
  access: Pick<DropAccess, 'gate'>;
  /** the route's answer to a failed reserve (its refusal over HTTP) */
  reserveError: (err: unknown, eventId: string) => Promise<unknown>;
}

export async function reserveSeats(
  deps: SeatedReserveDeps,
  request: SeatedRequest & { userId: string; key: string | undefined; queuePass: string },
  c: Context<AppEnv>,
) {
  const { eventId, categoryId, choice, userId, key, queuePass } = request;
  const idempotency: Idempotency | undefined = key
    ? { key, fingerprint: fingerprintOf(request) }
    : undefined;
  let placed: Awaited<ReturnType<Holds['reserveSeats']>>;
  try {
    // As for holds by count: the drop-access gates before stock, then what memory can
    // refuse (no queue pass, no seat left at all) without Redis; the seats are Redis's.
    const gated = deps.access.gate('reserve', eventId, userId, c);
    if (gated) await gated;
    const view = key === undefined ? deps.views.peek(eventId) : undefined;
    const refusal = view && refusalFromView(view, categoryId, 1, queuePass);
    if (refusal) throw refusal;
    placed = await deps.holds.reserveSeats({
      eventId,
      categoryId,
      userId,
      choice,
      queuePass,
      idempotency,
    });
  } catch (err) {
    const answer = await deps.reserveError(err, eventId).catch((lookup: unknown) => lookup);
    deps.metrics.count('reserve', answer);
    throw answer;
  }
  deps.metrics.count('reserve');
  const { hold, replayed } = placed;
  deps.views.touch(hold.eventId);
  if (queuePass && queuePass !== 'invalid' && !replayed) deps.metrics.queuePassUsed();
  const headers: Record<string, string> = { Location: `/v1/reservations/${hold.id}` };
  if (replayed) headers['Idempotent-Replayed'] = 'true';
  return jsonResponse({ json: placedHoldJson(hold) }, 201, headers);
}
