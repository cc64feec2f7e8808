// The API's resources and their pieces (api/schemas.ts): the event path's hand-written
// acceptor against its schema, the text and time rules, and rows as the API shows them.
import { describe, expect, it } from 'vitest';
import {
  acceptEventId,
  EventParams,
  EventSchema,
  FreeText,
  ReservationId,
  representable,
  Text,
  Timestamp,
  toCategory,
  toEvent,
  toReservation,
  toReservationFromRecord,
} from '../../api/schemas.js';
import type { EventRow } from '../../core/catalog/events.js';
import type { ReservationRow } from '../../core/records/reservation-records.js';
import { type Field, itAgreesWithItsSchema, nearUuid, uuid } from './arbitraries.js';

const E = '0193a0b2-7c1e-7d3a-9f00-1c2d3e4f5a6b';
const params: Record<string, Field> = { eventId: { valid: uuid, near: nearUuid } };

describe('acceptEventId against EventParams', () => {
  itAgreesWithItsSchema(acceptEventId, EventParams, params);
});

describe('text and time fields', () => {
  it.each([
    ['', true],
    ['x'.repeat(10), true],
    ['x'.repeat(11), false],
    ['a\u0000b', false],
    ['  ', true],
  ])('FreeText(10) of %j: %s', (value, ok) => {
    expect(FreeText(10).safeParse(value).success).toBe(ok);
  });

  it.each([
    ['  name  ', 'name'],
    ['é', 'é'],
  ])('Text trims %j to %j', (value, out) => {
    expect(Text(10).parse(value)).toBe(out);
  });

  it.each(['', '   ', 'x'.repeat(11), 'a\u0000b'])('Text(10) refuses %j', (value) => {
    expect(Text(10).safeParse(value).success).toBe(false);
  });

  it.each([
    ['2000-01-01T00:00:00Z', true],
    ['2200-12-31T23:59:59.999+14:00', true],
    ['2026-12-01T10:00:00+01:00', true],
    ['1999-12-31T23:59:59Z', false],
    ['2201-01-01T00:00:00Z', false],
    ['2026-12-01T10:00:00', false],
    ['2026-12-01', false],
  ])('Timestamp %s: %s', (value, ok) => {
    expect(Timestamp().safeParse(value).success).toBe(ok);
  });

  it.each([
    ['AZOgsnwefTqfABwtPk9aaw1q0m4yQ8xkuPMMWRUdSb', true],
    [E, true],
    ['x'.repeat(64), true],
    ['x'.repeat(65), false],
    ['', false],
    ['a/b', false],
    ['a b', false],
  ])('ReservationId %s: %s', (value, ok) => {
    expect(ReservationId.safeParse(value).success).toBe(ok);
  });
});

const eventRow = (over: Partial<EventRow> = {}): EventRow => ({
  id: E,
  name: 'Drop',
  description: '',
  venue: 'Arena',
  startsAt: new Date('2026-12-01T20:00:00Z'),
  endsAt: null,
  status: 'on_sale',
  holdTtlSeconds: null,
  perUserLimit: 4,
  waitingRoomEnabled: true,
  waitingRoomAdmitPerSecond: 50,
  waitingRoomPassTtlSeconds: 600,
  presaleEnabled: false,
  presaleEndsAt: null,
  botChallengeEnabled: false,
  botChallengeDifficulty: 100_000,
  ratingCount: 3,
  ratingSum: 11,
  createdAt: new Date('2026-11-01T00:00:00Z'),
  updatedAt: new Date('2026-11-02T00:00:00Z'),
  ...over,
});

describe('events as the API shows them', () => {
  it('a valid Event document, the default hold time filled in, the rating to two places', () => {
    const event = toEvent(eventRow(), 300);
    expect(EventSchema.safeParse(event).success).toBe(true);
    expect(event).toMatchObject({
      holdTtlSeconds: 300,
      ratingAverage: 3.67,
      endsAt: null,
      startsAt: '2026-12-01T20:00:00.000Z',
      waitingRoom: { enabled: true, admitPerSecond: 50, passTtlSeconds: 600 },
    });
    expect(toEvent(eventRow({ holdTtlSeconds: 90 }), 300).holdTtlSeconds).toBe(90);
  });

  it('no rating average before the first rating', () => {
    expect(toEvent(eventRow({ ratingCount: 0, ratingSum: 0 }), 300).ratingAverage).toBeNull();
  });

  it.each([
    ['an ordinary row', {}, true],
    ['year 1', { startsAt: new Date('0001-01-01T00:00:00Z') }, true],
    ['year 10000', { endsAt: new Date('+010000-01-01T00:00:00Z') }, false],
    ['an invalid date', { updatedAt: new Date(Number.NaN) }, false],
    ['year 0', { createdAt: new Date('0000-06-01T00:00:00Z') }, false],
  ])('representable: %s', (_, over, ok) => {
    expect(representable(eventRow(over))).toBe(ok);
  });

  it('a category as its row has it, without its times', () => {
    const row = {
      id: E,
      eventId: E,
      name: 'GA',
      priceCents: 4500,
      currency: 'EUR',
      capacity: 100,
      perUserLimit: null,
      seatMap: null,
      noSingleSeatGaps: false,
      blockedSeats: [],
      createdAt: new Date(),
      updatedAt: new Date(),
    };
    const {
      createdAt: _,
      updatedAt: __,
      seatMap: _map,
      noSingleSeatGaps: _gaps,
      blockedSeats: _blocked,
      ...shown
    } = row;
    expect(toCategory(row)).toEqual(shown);
  });
});

describe('reservations as the API shows them', () => {
  const hold = {
    id: 'AZOgsnwefTqfABwtPk9aaw1q0m4yQ8xkuPMMWRUdSb',
    eventId: E,
    categoryId: E,
    userId: E,
    quantity: 2,
    status: 'confirming' as const,
    expiresAt: Date.parse('2026-12-01T10:05:00Z'),
    createdAt: Date.parse('2026-12-01T10:00:00Z'),
    seq: 2,
  };

  it('a payment under way is still held to the client', () => {
    expect(toReservation(hold).status).toBe('held');
  });

  it('carries confirmedAt and endedAt only when the hold has them', () => {
    expect(Object.keys(toReservation(hold))).not.toContain('confirmedAt');
    const ended = toReservation({ ...hold, status: 'cancelled', endedAt: hold.createdAt + 1 });
    expect(ended).toMatchObject({ status: 'cancelled', endedAt: '2026-12-01T10:00:00.001Z' });
  });

  it('reads a record as Redis would hold it', () => {
    const ids = { id: hold.id, eventId: E, categoryId: E, userId: E, quantity: 2 };
    const row: ReservationRow = {
      ...ids,
      status: 'confirmed',
      seats: null,
      seq: 3,
      expiresAt: new Date(hold.expiresAt),
      createdAt: new Date(hold.createdAt),
      confirmedAt: new Date(hold.createdAt + 60_000),
      endedAt: null,
      updatedAt: new Date(),
    };
    expect(toReservationFromRecord(row)).toEqual({
      ...ids,
      status: 'confirmed',
      expiresAt: '2026-12-01T10:05:00.000Z',
      createdAt: '2026-12-01T10:00:00.000Z',
      confirmedAt: '2026-12-01T10:01:00.000Z',
    });
  });
});
