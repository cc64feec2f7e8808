// A fan's place from their ticket and the event's view (core/queue/ticket-places.ts),
// property-tested: positions that add up, waits at the rate, Redis asked where it must be.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { placeOfTicket } from '../../core/queue/ticket-places.js';

type View = Parameters<typeof placeOfTicket>[1];
type Claims = Parameters<typeof placeOfTicket>[0];

const NOW = 1_800_000_000_000;
const PRE_QUEUE_END = 2 ** 52;

const claims = (over: Partial<Claims>): Claims => ({
  eventId: '0193a0b2-7c1e-7d3a-9f00-1c2d3e4f5a6b',
  userId: '0193a0b2-7c1e-7d3a-9f00-aaaaaaaaaaaa',
  place: String(PRE_QUEUE_END + 5),
  turn: 0,
  joinedAt: NOW - 60_000,
  passExpiresAt: 0,
  ...over,
});

const queueOf = fc.record({
  enabled: fc.constant(true),
  opened: fc.boolean(),
  admitPerSecond: fc.integer({ min: 0, max: 1000 }),
  admittedTotal: fc.integer({ min: 0, max: 100_000 }),
  firstAdmitAt: fc.option(fc.integer({ min: NOW - 3_600_000, max: NOW })),
  soldOut: fc.boolean(),
  waiting: fc.integer({ min: 0, max: 1_000_000 }),
});
const views = fc.record({
  state: fc.record({
    status: fc.constantFrom('on_sale', 'paused', 'draft', 'closed', 'cancelled'),
    holdTtlSeconds: fc.constant(600),
    perUserLimit: fc.constant(10),
  }),
  fenced: fc.boolean(),
  categories: fc.constant([]),
  queue: queueOf,
  at: fc.constant(NOW),
}) satisfies fc.Arbitrary<View>;

describe('the place a ticket tells, property-tested', () => {
  it('is Redis’s to tell while the event is fenced', () => {
    fc.assert(
      fc.property(views, fc.integer({ min: 0, max: 200_000 }), (view, turn) => {
        const fenced = { ...view, fenced: true };
        expect(placeOfTicket(claims({ turn }), fenced, NOW)).toBeUndefined();
      }),
    );
  });

  it('an admitted fan is admitted until the pass runs out, whatever the queue says', () => {
    fc.assert(
      fc.property(views, fc.integer({ min: 1, max: 2 * NOW }), (view, passExpiresAt) => {
        const place = placeOfTicket(claims({ passExpiresAt }), { ...view, fenced: false }, NOW);
        expect(place).toMatchObject({
          status: passExpiresAt > NOW ? 'admitted' : 'expired',
          position: 0,
          aheadOfYou: 0,
          passExpiresAt,
        });
      }),
    );
  });

  it('a turn is the position less those admitted, the wait that position at the rate', () => {
    fc.assert(
      fc.property(views, fc.integer({ min: 1, max: 200_000 }), (v, turn) => {
        const view = { ...v, fenced: false, state: { ...v.state, status: 'on_sale' } };
        const place = placeOfTicket(claims({ turn }), view, NOW);
        const position = turn - view.queue.admittedTotal;
        if (position < 1) {
          expect(place).toBeUndefined();
          return;
        }
        expect(place).toMatchObject({ position, aheadOfYou: position - 1 });
        expect(place?.status).toBe(view.queue.soldOut ? 'sold_out' : 'waiting');
        const wait = place?.estimatedWaitSeconds ?? -1;
        expect(wait).toBeGreaterThanOrEqual(0);
        if (!view.queue.soldOut && view.queue.admittedTotal === 0 && view.queue.admitPerSecond > 0)
          expect(wait).toBe(Math.ceil(position / view.queue.admitPerSecond));
      }),
    );
  });

  it('a pre-queue draw places the fan inside the queue, a higher draw never ahead', () => {
    const draw = fc.integer({ min: 0, max: PRE_QUEUE_END - 1 });
    fc.assert(
      fc.property(views, draw, draw, (v, a, b) => {
        const view = {
          ...v,
          fenced: false,
          state: { ...v.state, status: 'on_sale' },
          queue: { ...v.queue, opened: false },
        };
        const at = (place: number) =>
          placeOfTicket(claims({ place: String(place) }), view, NOW)?.position ?? -1;
        expect(at(a)).toBeGreaterThanOrEqual(1);
        expect(at(a)).toBeLessThanOrEqual(Math.max(1, view.queue.waiting));
        if (a <= b) expect(at(a)).toBeLessThanOrEqual(at(b));
      }),
    );
  });

  it('a closed or cancelled event is closed to every fan not admitted', () => {
    const ended = fc.constantFrom('closed', 'cancelled');
    fc.assert(
      fc.property(views, ended, fc.nat(), (v, status, turn) => {
        const view = { ...v, fenced: false, state: { ...v.state, status } };
        expect(placeOfTicket(claims({ turn }), view, NOW)).toMatchObject({
          status: 'closed',
          position: 0,
          estimatedWaitSeconds: 0,
        });
      }),
    );
  });
});
