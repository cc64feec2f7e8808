// The reservations.v1 message (SPEC §6): one hold change, keyed by eventId.
import { z } from 'zod';

export const RESERVATION_EVENT_TYPES = [
  'reservation.held',
  'reservation.confirmed',
  'reservation.released',
  'reservation.expired',
  'reservation.cancelled',
] as const;

export const ReservationEvent = z.object({
  type: z.enum(RESERVATION_EVENT_TYPES),
  reservationId: z.uuid(),
  eventId: z.uuid(),
  categoryId: z.uuid(),
  userId: z.uuid(),
  quantity: z.number().int().min(1).max(10),
  /** when the change happened (Redis clock), ISO 8601 */
  at: z.iso.datetime(),
  /** orders one reservation's steps: 1 = held */
  seq: z.number().int().min(1),
  /** the hold's expiry at that step */
  expiresAt: z.iso.datetime(),
});
export type ReservationEvent = z.infer<typeof ReservationEvent>;

/** An outbox stream entry (flat field list) as the Kafka message value. */
export function fromOutboxEntry(fields: string[]): ReservationEvent {
  const f: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) f[fields[i] as string] = fields[i + 1] as string;
  return ReservationEvent.parse({
    type: f.type,
    reservationId: f.reservationId,
    eventId: f.eventId,
    categoryId: f.categoryId,
    userId: f.userId,
    quantity: Number(f.quantity),
    at: new Date(Number(f.at)).toISOString(),
    seq: Number(f.seq),
    expiresAt: new Date(Number(f.expiresAt)).toISOString(),
  });
}
