// Queue polls with a ticket at a drop (SPEC §7, issue 24) against real Redis and Postgres:
// answered from memory (the same admission order as Redis's, exact positions, no per-user
// read), and forged, foreign and expired tickets refused.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MAX_AGE_MS } from '../../api/event-views.js';
import { createQueue, type QueuePlace } from '../../core/queue/queue.js';
import { claimsOf, placeOfTicket } from '../../core/queue/ticket-places.js';
import { createQueueTickets, queueTicketKey } from '../../core/queue/tickets.js';
import { admin, ctx, useTestApp } from '../helpers/app.js';
import { signedInUser } from '../helpers/auth.js';
import { poll, queuedDrop, scriptCalls } from '../helpers/crowd.js';
import { body, send } from '../helpers/drop.js';
import { eventually, functionalConfig, REDIS_KEY_PREFIX } from '../helpers/services.js';

const config = functionalConfig();
const tickets = createQueueTickets(queueTicketKey(config));
useTestApp(config);

describe('queue tickets', () => {
  it('answers a poll with a ticket from memory, as Redis would, through the open to the pass', async () => {
    const { eventId, categoryId } = await queuedDrop();
    const fans = await Promise.all(Array.from({ length: 3 }, () => signedInUser(ctx.app)));
    const joined = [];
    for (const fan of fans) {
      const res = await send(ctx.app, 'POST', `/v1/events/${eventId}/queue`, fan.accessToken);
      expect(res.status).toBe(201);
      joined.push(await body(res));
    }
    for (const t of joined) expect((t.ticket as string).length).toBeLessThanOrEqual(512);
    const [fan, , last] = fans as [(typeof fans)[0], unknown, (typeof fans)[0]];
    let ticket = joined[0]?.ticket as string;

    // Pre-queue: answered from the ticket (the draw's expected rank), no per-user script.
    const before = await scriptCalls('queueTicket');
    const early = await poll(eventId, fan.accessToken, ticket);
    expect(early.status).toBe(200);
    const earlyBody = await body(early);
    expect(earlyBody).toMatchObject({ eventId, status: 'waiting', ticket });
    expect(earlyBody.position).toBeGreaterThanOrEqual(1);
    expect(earlyBody.position).toBeLessThanOrEqual(3);
    expect(early.headers.get('etag')).toBeTruthy();
    const again = await poll(eventId, fan.accessToken, ticket);
    expect(await body(again)).toEqual(earlyBody);
    expect(await scriptCalls('queueTicket')).toBe(before);

    // The open: the first poll learns the fan's turn from Redis, once.
    expect(
      (await send(ctx.app, 'PATCH', `/v1/admin/events/${eventId}`, admin, { status: 'on_sale' }))
        .status,
    ).toBe(200);
    const exact = await body(await poll(eventId, fan.accessToken));
    let withTurn: Record<string, unknown> = {};
    // Within the staleness bound, the ticket's answer is Redis's.
    await eventually(
      async () => {
        withTurn = await body(await poll(eventId, fan.accessToken, ticket));
        return JSON.stringify(withTurn) === JSON.stringify(exact);
      },
      { timeoutMs: MAX_AGE_MS + 100, intervalMs: 10, what: 'the turn after the open' },
    );
    expect(withTurn.ticket).not.toBe(ticket);
    ticket = withTurn.ticket as string;
    const afterTurn = await scriptCalls('queueTicket');
    for (let i = 0; i < 20; i++) {
      expect(await body(await poll(eventId, fan.accessToken, ticket))).toEqual(exact);
    }
    expect(await scriptCalls('queueTicket')).toBe(afterTurn);

    // Admitted: once from Redis for the pass, then from the ticket again.
    const queue = createQueue(ctx.redis, REDIS_KEY_PREFIX);
    let admitted: Record<string, unknown> = {};
    await eventually(
      async () => {
        await queue.admit(eventId, 3);
        admitted = await body(await poll(eventId, fan.accessToken, ticket));
        return admitted.status === 'admitted';
      },
      { timeoutMs: 3000, what: 'admitted' },
    );
    expect(admitted).toMatchObject({ status: 'admitted', position: 0 });
    expect(admitted.pass).toEqual(expect.any(String));
    const passTicket = admitted.ticket as string;
    const afterPass = await scriptCalls('queueTicket');
    expect(await body(await poll(eventId, fan.accessToken, passTicket))).toEqual(admitted);
    expect(await scriptCalls('queueTicket')).toBe(afterPass);
    const held = await send(
      ctx.app,
      'POST',
      '/v1/reservations',
      fan.accessToken,
      { eventId, categoryId, quantity: 1 },
      { 'Queue-Pass': admitted.pass as string },
    );
    expect(held.status).toBe(201);

    // Closed: every waiting ticket says so.
    expect(
      (await send(ctx.app, 'PATCH', `/v1/admin/events/${eventId}`, admin, { status: 'closed' }))
        .status,
    ).toBe(200);
    const lastTicket = joined[2]?.ticket as string;
    await eventually(
      async () =>
        (await body(await poll(eventId, last.accessToken, lastTicket))).status === 'closed',
      { timeoutMs: 2000, what: 'closed from the ticket' },
    );
  });

  it('refuses a forged, foreign, other-event or expired ticket with 403 queue_ticket_invalid', async () => {
    const { eventId } = await queuedDrop();
    const other = await queuedDrop();
    const [fan, rival] = await Promise.all([signedInUser(ctx.app), signedInUser(ctx.app)]);
    const mine = await body(
      await send(ctx.app, 'POST', `/v1/events/${eventId}/queue`, fan.accessToken),
    );
    const elsewhere = await body(
      await send(ctx.app, 'POST', `/v1/events/${other.eventId}/queue`, fan.accessToken),
    );
    await send(ctx.app, 'POST', `/v1/events/${eventId}/queue`, rival.accessToken);
    const ticket = mine.ticket as string;
    const fields = ticket.split('.');
    const claims = tickets.verify(ticket);
    if (!claims.ok) throw new Error('the engine gave a ticket it does not accept');

    const promoted = [...fields];
    promoted[4] = '1'; // the first turn, with the old signature
    const wrongKey = createQueueTickets(Buffer.alloc(32, 7)).sign(claims.claims);
    const expired = tickets.sign(claims.claims, Math.floor(Date.now() / 1000) - 1);
    const cases: [string, string, string][] = [
      ['tampered', fan.accessToken, promoted.join('.')],
      ['another key', fan.accessToken, wrongKey],
      ['garbage', fan.accessToken, 'not a ticket'],
      ['too long', fan.accessToken, `${ticket}${'x'.repeat(600)}`],
      ['another user', rival.accessToken, ticket],
      ['another event', fan.accessToken, elsewhere.ticket as string],
      ['expired', fan.accessToken, expired],
    ];
    for (const [what, token, given] of cases) {
      const res = await poll(eventId, token, given);
      expect(res.status, what).toBe(403);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect((await body(res)).code, what).toBe('queue_ticket_invalid');
    }
    // The fan's own ticket still works.
    expect((await poll(eventId, fan.accessToken, ticket)).status).toBe(200);
  });

  it('admits 10,000 fans in the same order with and without tickets, with exact positions', async () => {
    const { eventId } = await queuedDrop(5000);
    const queue = createQueue(ctx.redis, REDIS_KEY_PREFIX);
    const fans = Array.from({ length: 10_000 }, () => randomUUID());
    const inBatches = async <T>(f: (u: string) => Promise<T>) => {
      const out: T[] = [];
      for (let i = 0; i < fans.length; i += 1000)
        out.push(...(await Promise.all(fans.slice(i, i + 1000).map(f))));
      return out;
    };
    await inBatches((u) => queue.join(eventId, u));
    expect(
      (await send(ctx.app, 'PATCH', `/v1/admin/events/${eventId}`, admin, { status: 'on_sale' }))
        .status,
    ).toBe(200);
    // Each fan's ticket after the open (the poll that learns the turn).
    let claims = (await inBatches((u) => queue.place(eventId, u))).map(claimsOf);
    expect(new Set(claims.map((c) => c.turn)).size).toBe(10_000);

    const byTicket: number[] = new Array(10_000).fill(-1);
    const byRedis: number[] = new Array(10_000).fill(-1);
    for (let step = 0; byRedis.includes(-1) && step < 60; step++) {
      const view = await ctx.services.holds.view(eventId);
      if (!view) throw new Error('no view');
      const places = await inBatches((u) => queue.place(eventId, u));
      const now = Date.now();
      claims = claims.map((c, i) => {
        const redis = places[i] as QueuePlace;
        const fromTicket = placeOfTicket(c, view, now);
        if (redis.status === 'admitted' && byRedis[i] === -1) byRedis[i] = step;
        // Undefined: admitted since the ticket was given; the next poll asks Redis once.
        if (fromTicket === undefined) {
          if (byTicket[i] === -1) byTicket[i] = step;
          return claimsOf(redis);
        }
        if (fromTicket.status === 'admitted' && byTicket[i] === -1) byTicket[i] = step;
        if (redis.status === 'waiting') {
          expect(fromTicket.position).toBe(redis.position);
          expect(fromTicket.aheadOfYou).toBe(redis.aheadOfYou);
        }
        return c;
      });
      await queue.admit(eventId, 900);
    }
    expect(byTicket).toEqual(byRedis);
    expect(byRedis.filter((s) => s >= 0).length).toBe(10_000);
  }, 120_000);
});
