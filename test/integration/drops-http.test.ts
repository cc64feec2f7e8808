// Running a drop through the app (real Redis and Postgres): the admin makes a draft, adds
// stock, opens, pauses and closes the sale, with the status moves SPEC §2 allows.
import { describe, expect, it } from 'vitest';
import { admin, ctx, redis, useTestApp } from '../helpers/app.js';
import { signedInUser } from '../helpers/auth.js';
import { body, createDrop, send } from '../helpers/drop.js';
import { checkInvariants } from '../helpers/invariants.js';
import { available, expectProblem, reserve } from '../helpers/reservations.js';

useTestApp();

describe('running a drop', () => {
  it('admin creates a draft, adds stock, opens the sale; the public sees it once on sale', async () => {
    const { eventId, categoryId } = await createDrop(ctx.app, admin, {
      status: 'draft',
      capacity: 50,
    });
    expect((await send(ctx.app, 'GET', `/v1/events/${eventId}`)).status).toBe(404);
    expect((await send(ctx.app, 'GET', `/v1/events/${eventId}/availability`)).status).toBe(404);
    const asAdmin = await send(ctx.app, 'GET', `/v1/events/${eventId}`, admin);
    expect(await body(asAdmin)).toMatchObject({
      id: eventId,
      status: 'draft',
      holdTtlSeconds: 300,
      perUserLimit: 10,
      ratingAverage: null,
      ratingCount: 0,
      categories: [
        {
          id: categoryId,
          eventId,
          name: 'GA',
          priceCents: 5000,
          currency: 'EUR',
          capacity: 50,
          perUserLimit: null,
        },
      ],
    });

    const user = await signedInUser(ctx.app);
    await expectProblem(
      await reserve(user.accessToken, { eventId, categoryId, quantity: 1 }),
      409,
      'not_on_sale',
    );

    const open = await send(ctx.app, 'PATCH', `/v1/admin/events/${eventId}`, admin, {
      status: 'on_sale',
    });
    expect((await body(open)).status).toBe('on_sale');
    const availability = await body(
      await send(ctx.app, 'GET', `/v1/events/${eventId}/availability`),
    );
    expect(availability).toMatchObject({
      eventId,
      status: 'on_sale',
      categories: [{ id: categoryId, name: 'GA', capacity: 50, available: 50 }],
    });
    expect((await reserve(user.accessToken, { eventId, categoryId, quantity: 1 })).status).toBe(
      201,
    );
    const audit =
      await ctx.sql`select action from audit_log where target_id = ${eventId} order by created_at`;
    expect(audit.map((r) => r.action)).toEqual(['event.created', 'event.status_changed']);
  });

  it('refuses illegal status moves with 409 invalid_transition', async () => {
    const { eventId } = await createDrop(ctx.app, admin, { status: 'draft' });
    await expectProblem(
      await send(ctx.app, 'PATCH', `/v1/admin/events/${eventId}`, admin, { status: 'paused' }),
      409,
      'invalid_transition',
    );
    for (const status of ['on_sale', 'paused', 'on_sale', 'closed']) {
      expect(
        (await send(ctx.app, 'PATCH', `/v1/admin/events/${eventId}`, admin, { status })).status,
      ).toBe(200);
    }
    await expectProblem(
      await send(ctx.app, 'PATCH', `/v1/admin/events/${eventId}`, admin, { status: 'on_sale' }),
      409,
      'invalid_transition',
    );
    await expectProblem(
      await send(ctx.app, 'PATCH', `/v1/admin/events/${eventId}`, admin, { status: 'cancelled' }),
      409,
      'invalid_transition',
    );
  });

  it('a pause reaches Redis at once', async () => {
    const { eventId, categoryId } = await createDrop(ctx.app, admin);
    const user = await signedInUser(ctx.app);
    await send(ctx.app, 'PATCH', `/v1/admin/events/${eventId}`, admin, { status: 'paused' });
    const refused = await expectProblem(
      await reserve(user.accessToken, { eventId, categoryId, quantity: 1 }),
      409,
      'not_on_sale',
    );
    expect(refused.eventStatus).toBe('paused');
  });

  it('keeps admin routes for admins', async () => {
    const user = await signedInUser(ctx.app);
    await expectProblem(
      await send(ctx.app, 'POST', '/v1/admin/events', user.accessToken, {
        name: 'x',
        venue: 'y',
        startsAt: new Date().toISOString(),
      }),
      403,
      'forbidden',
    );
    await expectProblem(
      await send(ctx.app, 'POST', '/v1/admin/events', undefined, {}),
      401,
      'unauthorized',
    );
  });

  it('refuses a capacity below held + sold, and changes nothing', async () => {
    const { eventId, categoryId } = await createDrop(ctx.app, admin, { capacity: 5 });
    const user = await signedInUser(ctx.app);
    await reserve(user.accessToken, { eventId, categoryId, quantity: 3 });
    const path = `/v1/admin/events/${eventId}/categories/${categoryId}`;
    const refused = await expectProblem(
      await send(ctx.app, 'PATCH', path, admin, { capacity: 2 }),
      409,
      'capacity_below_sold',
    );
    expect(refused.heldAndSold).toBe(3);
    const event = await body(await send(ctx.app, 'GET', `/v1/events/${eventId}`));
    expect((event.categories as { capacity: number }[])[0]?.capacity).toBe(5);
    expect(await available(eventId)).toBe(2);

    expect((await body(await send(ctx.app, 'PATCH', path, admin, { capacity: 10 }))).capacity).toBe(
      10,
    );
    expect(await available(eventId)).toBe(7);
    await checkInvariants(redis, eventId);
  });
});
