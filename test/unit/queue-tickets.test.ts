// Queue tickets and the places they tell (core/queue/tickets.ts, ticket-places.ts): pure,
// no services. The integration tests (test/integration/crowd-tickets.test.ts) hold them against
// Redis's own answers.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { claimsOf, placeOfTicket } from '../../core/queue/ticket-places.js';
import { createQueueTickets, queueTicketKey, ticketMac } from '../../core/queue/tickets.js';
import type { EventView } from '../../core/reservations/event-stock.js';
import { uuid } from './arbitraries.js';

const key = queueTicketKey({ JWT_SECRET: 'a secret of at least thirty-two characters' });
const claims = {
  eventId: '0193a0b2-7c1e-7d3a-9f00-1c2d3e4f5a6b',
  userId: '0193a0b2-7c1e-7d3a-9f00-aaaaaaaaaaaa',
  place: String(2 ** 52 + 41),
  turn: 42,
  joinedAt: 1_790_000_000_000,
  passExpiresAt: 0,
};

function view(queue: Partial<EventView['queue']>, status = 'on_sale'): EventView {
  return {
    state: { status, holdTtlSeconds: 600, perUserLimit: 10 },
    fenced: false,
    categories: [],
    queue: {
      enabled: true,
      opened: true,
      admitPerSecond: 10,
      admittedTotal: 0,
      firstAdmitAt: null,
      soldOut: false,
      waiting: 100,
      ...queue,
    },
    at: 0,
  };
}

describe('queue tickets', () => {
  const now = 1_800_000_000_000;
  const tickets = createQueueTickets(key, () => now);

  it('round-trips its claims, within 512 characters, the same string on every signing', () => {
    const ticket = tickets.sign(claims);
    expect(ticket.length).toBeLessThanOrEqual(512);
    expect(tickets.sign(claims)).toBe(ticket);
    expect(tickets.verify(ticket)).toEqual({
      ok: true,
      ticket,
      claims,
      expiresAt: expect.any(Number),
    });
  });

  it('refuses a changed field, another key, garbage and an expired ticket', () => {
    const ticket = tickets.sign(claims);
    const fields = ticket.split('.');
    fields[4] = '1';
    expect(tickets.verify(fields.join('.'))).toEqual({ ok: false, reason: 'forged' });
    const other = createQueueTickets(queueTicketKey({ JWT_SECRET: 'x'.repeat(32) }), () => now);
    expect(tickets.verify(other.sign(claims))).toEqual({ ok: false, reason: 'forged' });
    expect(tickets.verify('q1.a.b')).toEqual({ ok: false, reason: 'malformed' });
    expect(tickets.verify('')).toEqual({ ok: false, reason: 'malformed' });
    expect(tickets.verify('x'.repeat(513))).toEqual({ ok: false, reason: 'malformed' });
    const old = tickets.sign(claims, now / 1000 - 1);
    expect(tickets.verify(old)).toEqual({ ok: false, reason: 'expired' });
  });

  it('gives the same ticket back while it binds the same and has life left, else a new one', () => {
    const ticket = tickets.sign(claims);
    const given = tickets.verify(ticket);
    if (!given.ok) throw new Error('not ok');
    expect(tickets.reissue(claims, given)).toBe(ticket);
    const moved = tickets.reissue({ ...claims, passExpiresAt: now + 600_000 }, given);
    expect(moved).not.toBe(ticket);
    expect(tickets.verify(moved)).toMatchObject({
      ok: true,
      claims: { passExpiresAt: now + 600_000 },
    });
    const ageing = tickets.sign(claims, now / 1000 + 60);
    const old = tickets.verify(ageing);
    if (!old.ok) throw new Error('not ok');
    expect(tickets.reissue(claims, old)).not.toBe(ageing);
  });

  it('keys tickets apart from access tokens: a different secret, a different key', () => {
    expect(queueTicketKey({ JWT_SECRET: 'a'.repeat(32) })).not.toEqual(
      queueTicketKey({ JWT_SECRET: 'b'.repeat(32) }),
    );
    expect(
      queueTicketKey({ JWT_SECRET: 'a'.repeat(32), JWT_PRIVATE_KEY: 'pem' }).equals(
        queueTicketKey({ JWT_SECRET: 'a'.repeat(32) }),
      ),
    ).toBe(false);
  });
});

describe('queue tickets, property-tested', () => {
  const now = 1_800_000_000_000;
  const tickets = createQueueTickets(key, () => now);
  const anyClaims = fc.record({
    eventId: uuid,
    userId: uuid,
    place: fc.bigInt({ min: 0n, max: 2n ** 53n }).map(String),
    turn: fc.nat(),
    joinedAt: fc.integer({ min: 0, max: now }),
    passExpiresAt: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 2 * now })),
  });

  it('any claims come back as they were signed, good for an hour or more, in five-minute steps', () => {
    fc.assert(
      fc.property(anyClaims, (c) => {
        const check = tickets.verify(tickets.sign(c));
        if (!check.ok) throw new Error(check.reason);
        expect(check.claims).toEqual(c);
        expect(check.expiresAt % 300).toBe(0);
        expect(check.expiresAt * 1000 - now).toBeGreaterThanOrEqual(3_600_000);
      }),
    );
  });

  it('a ticket with any one character changed is refused', () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.';
    fc.assert(
      fc.property(anyClaims, fc.nat(), fc.constantFrom(...alphabet), (c, at, char) => {
        const ticket = tickets.sign(c);
        const i = at % ticket.length;
        fc.pre(ticket[i] !== char);
        const changed = `${ticket.slice(0, i)}${char}${ticket.slice(i + 1)}`;
        expect(tickets.verify(changed).ok).toBe(false);
      }),
    );
  });

  it('its signature differs with anything it binds', () => {
    fc.assert(
      fc.property(anyClaims, anyClaims, (a, b) => {
        fc.pre(JSON.stringify(a) !== JSON.stringify(b));
        expect(ticketMac(tickets.sign(a))).not.toBe(ticketMac(tickets.sign(b)));
      }),
    );
  });
});

describe('the place a ticket tells', () => {
  const now = 1_800_000_000_000;

  it('is the turn less those admitted, with the wait at the measured rate', () => {
    const place = placeOfTicket(claims, view({ admittedTotal: 30, firstAdmitAt: now - 3000 }), now);
    expect(place).toMatchObject({
      status: 'waiting',
      position: 12,
      aheadOfYou: 11,
      estimatedWaitSeconds: 2,
    });
  });

  it('leaves it to Redis once the turn is admitted, or when the sale opened since', () => {
    expect(placeOfTicket(claims, view({ admittedTotal: 42 }), now)).toBeUndefined();
    expect(placeOfTicket({ ...claims, turn: 0 }, view({}), now)).toBeUndefined();
  });

  it('says admitted, then expired, from the pass in the ticket', () => {
    const admitted = { ...claims, passExpiresAt: now + 1000 };
    expect(placeOfTicket(admitted, view({}), now)).toMatchObject({
      status: 'admitted',
      position: 0,
      passExpiresAt: now + 1000,
    });
    expect(placeOfTicket(admitted, view({}), now + 1000)?.status).toBe('expired');
  });

  it('says closed and sold out as the view does', () => {
    expect(placeOfTicket(claims, view({}, 'closed'), now)?.status).toBe('closed');
    expect(placeOfTicket(claims, view({ soldOut: true }), now)).toMatchObject({
      status: 'sold_out',
      position: 42,
      estimatedWaitSeconds: 0,
    });
  });

  it('estimates a pre-queue place from its draw, inside the queue', () => {
    const preQueue = view({ opened: false, waiting: 1001 });
    const at = (share: number) =>
      placeOfTicket(
        { ...claims, turn: 0, place: String(Math.floor(share * 2 ** 52)) },
        preQueue,
        now,
      )?.position;
    expect(at(0)).toBe(1);
    expect(at(0.5)).toBe(501);
    expect(at(0.999999)).toBe(1000);
  });

  it('keeps what a place binds when it becomes a ticket', () => {
    const fromRedis = {
      eventId: claims.eventId,
      userId: claims.userId,
      status: 'waiting' as const,
      position: 12,
      aheadOfYou: 11,
      estimatedWaitSeconds: 2,
      joinedAt: claims.joinedAt,
      passExpiresAt: null,
      place: claims.place,
      turn: 42,
    };
    expect(claimsOf(fromRedis)).toEqual(claims);
    expect(claimsOf({ ...fromRedis, place: '', passExpiresAt: now })).toMatchObject({
      place: '0',
      passExpiresAt: now,
    });
  });
});
