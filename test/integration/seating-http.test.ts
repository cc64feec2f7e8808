// Assigned seating (SPEC §8) end to end through the app: an admin creates a seated
// category, fans hold exact or best-available seats, the maps and seat status are read
// (ETag/304), seats are blocked, and after a Redis loss the rebuild restores every seat
// hold and the seats exactly as they were.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { App } from '../../api/app.js';
import type { SeatMapInput } from '../../core/catalog/seat-map.js';
import type { Delivery } from '../../worker/notifications.js';
import { admin, buildTestApp, ctx, redis, useTestApp } from '../helpers/app.js';
import { bearer, postJson, signedInUser } from '../helpers/auth.js';
import { adminToken, body, type Json, send } from '../helpers/drop.js';
import { checkInvariants } from '../helpers/invariants.js';
import { startConsumers, startRelay } from '../helpers/pipeline.js';
import { deleteKeys, eventually, functionalConfig } from '../helpers/services.js';

const config = functionalConfig();
useTestApp(config);

const MAP: SeatMapInput = {
  sections: [
    {
      name: 'Stalls',
      rows: [
        { name: 'A', seats: 6 },
        { name: 'B', seats: ['1', '2', '3', '4'] },
      ],
    },
    { name: 'Circle', rows: [{ name: 'A', seats: ['L1', 'L2', 'R1', 'R2'] }] },
  ],
};

/** An on-sale event with one seated category, created as an admin does it. */
async function seatedDrop(
  app: App,
  token: string,
  category: Record<string, unknown> = {},
  event: Record<string, unknown> = {},
) {
  const created = await postJson(
    app,
    '/v1/admin/events',
    {
      name: `Seated ${randomUUID().slice(0, 8)}`,
      venue: 'Theatre',
      startsAt: new Date(Date.now() + 30 * 86_400_000).toISOString(),
      status: 'on_sale',
      ...event,
    },
    bearer(token),
  );
  const eventId = (await body(created)).id as string;
  const res = await postJson(
    app,
    `/v1/admin/events/${eventId}/categories`,
    { name: 'Seated', priceCents: 9000, seatMap: MAP, ...category },
    bearer(token),
  );
  if (res.status !== 201) throw new Error(`create category ${res.status}: ${await res.text()}`);
  const made = await body(res);
  return { eventId, categoryId: made.id as string, category: made };
}

const reserve = (token: string, b: unknown, app = ctx.app) =>
  send(app, 'POST', '/v1/reservations', token, b);
const seatsOf = async (drop: { eventId: string; categoryId: string }, app = ctx.app) =>
  body(await send(app, 'GET', `/v1/events/${drop.eventId}/categories/${drop.categoryId}/seats`));
const rowsOf = (doc: Json) =>
  (doc.sections as { rows: { status: string }[] }[]).map((s) =>
    s.rows.map((r) => r.status).join('|'),
  );
async function problem(res: Response, status: number, code: string) {
  const b = await body(res);
  expect({ status: res.status, code: b.code }).toEqual({ status, code });
  return b;
}

describe('a seated category', () => {
  it('is created from its map: capacity = seats; the map and the seats are readable', async () => {
    const drop = await seatedDrop(ctx.app, admin);
    expect(drop.category).toMatchObject({ capacity: 14, seated: true, noSingleSeatGaps: false });
    const map = await send(
      ctx.app,
      'GET',
      `/v1/events/${drop.eventId}/categories/${drop.categoryId}/seat-map`,
    );
    expect(map.status).toBe(200);
    expect(map.headers.get('cache-control')).toContain('max-age');
    const doc = await body(map);
    expect(doc.capacity).toBe(14);
    expect((doc.sections as Json[])[1]).toEqual({
      name: 'Circle',
      rows: [
        {
          name: 'A',
          seats: [
            { id: 'Circle-A-L1', label: 'L1' },
            { id: 'Circle-A-L2', label: 'L2' },
            { id: 'Circle-A-R1', label: 'R1' },
            { id: 'Circle-A-R2', label: 'R2' },
          ],
        },
      ],
    });
    expect(rowsOf(await seatsOf(drop))).toEqual(['aaaaaa|aaaa', 'aaaa']);
    const availability = await body(
      await send(ctx.app, 'GET', `/v1/events/${drop.eventId}/availability`),
    );
    expect(availability.categories).toEqual([
      { id: drop.categoryId, name: 'Seated', capacity: 14, available: 14, seatsVersion: 0 },
    ]);
  });

  it('refuses a bad map, capacity with a map, and a capacity change of a seated category', async () => {
    const { eventId, categoryId } = await seatedDrop(ctx.app, admin);
    const create = (b: Json) =>
      postJson(ctx.app, `/v1/admin/events/${eventId}/categories`, b, bearer(admin));
    const dup = { sections: [{ name: 'S', rows: [{ name: 'A', seats: ['1', '1'] }] }] };
    await problem(
      await create({ name: 'X', priceCents: 1, seatMap: dup }),
      400,
      'validation_failed',
    );
    await problem(
      await create({ name: 'Y', priceCents: 1, seatMap: MAP, capacity: 3 }),
      400,
      'validation_failed',
    );
    const bad = { sections: [{ name: 'S-1', rows: [{ name: 'A', seats: 3 }] }] };
    await problem(
      await create({ name: 'Z', priceCents: 1, seatMap: bad }),
      400,
      'validation_failed',
    );
    const patch = await send(
      ctx.app,
      'PATCH',
      `/v1/admin/events/${eventId}/categories/${categoryId}`,
      admin,
      { capacity: 20 },
    );
    // The body is fine; the category it meets is seated: a conflict with what is stored.
    await problem(patch, 409, 'invalid_state');
  });
});

describe('holding seats over HTTP', () => {
  it('exact seats, best-available seats, and every refusal', async () => {
    const drop = await seatedDrop(ctx.app, admin);
    const fan = await signedInUser(ctx.app);
    const ids = { eventId: drop.eventId, categoryId: drop.categoryId };
    const held = await reserve(fan.accessToken, { ...ids, seats: ['Stalls-A-1', 'Stalls-A-2'] });
    expect(held.status).toBe(201);
    const hold = await body(held);
    expect(hold).toMatchObject({
      quantity: 2,
      status: 'held',
      seats: ['Stalls-A-1', 'Stalls-A-2'],
    });
    expect(
      await body(await send(ctx.app, 'GET', `/v1/reservations/${hold.id}`, fan.accessToken)),
    ).toMatchObject({ seats: ['Stalls-A-1', 'Stalls-A-2'] });

    const other = await signedInUser(ctx.app);
    const taken = await problem(
      await reserve(other.accessToken, { ...ids, seats: ['Stalls-A-3', 'Stalls-A-2'] }),
      409,
      'seats_unavailable',
    );
    expect(taken.unavailable).toEqual(['Stalls-A-2']);
    await problem(
      await reserve(other.accessToken, { ...ids, seats: ['Stalls-Z-1'] }),
      400,
      'validation_failed',
    );
    await problem(
      await reserve(other.accessToken, { ...ids, quantity: 2 }),
      400,
      'validation_failed',
    );
    await problem(
      await reserve(other.accessToken, { ...ids, seats: ['Stalls-A-3', 'Stalls-A-3'] }),
      400,
      'validation_failed',
    );

    const best = await body(
      await reserve(other.accessToken, { ...ids, quantity: 3, adjacent: true }),
    );
    // Row A has 3..6 left (4 seats): 3 nearest its middle are 3..5.
    expect(best.seats).toEqual(['Stalls-A-3', 'Stalls-A-4', 'Stalls-A-5']);
    await problem(
      await reserve(other.accessToken, { ...ids, quantity: 5, adjacent: true }),
      409,
      'no_adjacent_seats',
    );
    expect(rowsOf(await seatsOf(drop))).toEqual(['hhhhha|aaaa', 'aaaa']);
    const availability = await body(
      await send(ctx.app, 'GET', `/v1/events/${drop.eventId}/availability`),
    );
    expect((availability.categories as Json[])[0]).toMatchObject({ available: 9 });

    // Released: exactly its seats come back. Confirmed: sold.
    const released = await send(ctx.app, 'DELETE', `/v1/reservations/${hold.id}`, fan.accessToken);
    expect(await body(released)).toMatchObject({ status: 'released', seats: hold.seats });
    await send(ctx.app, 'POST', `/v1/reservations/${best.id}/confirm`, other.accessToken, {});
    expect(rowsOf(await seatsOf(drop))).toEqual(['aasssa|aaaa', 'aaaa']);
    await checkInvariants(redis, drop.eventId);
  });

  it('seat status: versioned, with an ETag and a bodiless 304', async () => {
    const drop = await seatedDrop(ctx.app, admin);
    const url = `/v1/events/${drop.eventId}/categories/${drop.categoryId}/seats`;
    const first = await send(ctx.app, 'GET', url);
    const etag = first.headers.get('etag') ?? '';
    const { version } = await body(first);
    const same = await send(ctx.app, 'GET', url, undefined, undefined, { 'If-None-Match': etag });
    expect(same.status).toBe(304);
    expect(await same.text()).toBe('');
    const fan = await signedInUser(ctx.app);
    await reserve(fan.accessToken, { ...drop, category: undefined, seats: ['Circle-A-R1'] });
    const changed = await send(ctx.app, 'GET', url, undefined, undefined, {
      'If-None-Match': etag,
    });
    expect(changed.status).toBe(200);
    const now = (await body(changed)).version;
    expect(now).toBeGreaterThan(version as number);
    // Availability names the seat version too: a stream's client knows the map moved.
    const availability = await body(
      await send(ctx.app, 'GET', `/v1/events/${drop.eventId}/availability`),
    );
    expect(availability.categories).toEqual([
      expect.objectContaining({ id: drop.categoryId, seatsVersion: now }),
    ]);
  });

  it('seat status is served from memory: a poll reads Redis only after the seats changed', async () => {
    const drop = await seatedDrop(ctx.app, admin);
    const url = `/v1/events/${drop.eventId}/categories/${drop.categoryId}/seats`;
    const reads = async () =>
      Number(
        /redis_script_duration_seconds_count\{[^}]*script="seatStatus"\} (\d+)/.exec(
          await ctx.metrics(),
        )?.[1] ?? 0,
      );
    const first = await send(ctx.app, 'GET', url);
    const etag = first.headers.get('etag') ?? '';
    const before = await reads();
    const polls = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        send(ctx.app, 'GET', url, undefined, undefined, i % 2 ? { 'If-None-Match': etag } : {}),
      ),
    );
    expect(polls.map((p) => p.status).sort()).toEqual([
      ...Array(25).fill(200),
      ...Array(25).fill(304),
    ]);
    expect(await reads()).toBe(before);
    const fan = await signedInUser(ctx.app);
    await reserve(fan.accessToken, { ...drop, category: undefined, seats: ['Stalls-B-1'] });
    const after = await Promise.all(
      Array.from({ length: 20 }, () =>
        send(ctx.app, 'GET', url, undefined, undefined, { 'If-None-Match': etag }),
      ),
    );
    expect(after.map((p) => p.status)).toEqual(Array(20).fill(200));
    // The 20 polls shared one read of the changed seats.
    expect(await reads()).toBe(before + 1);
    expect(rowsOf(await body(after[0] as Response))).toEqual(['aaaaaa|haaa', 'aaaa']);
  });

  it('noSingleSeatGaps refuses a lone seat; sold_out when no seat is left', async () => {
    const drop = await seatedDrop(ctx.app, admin, { noSingleSeatGaps: true });
    const ids = { eventId: drop.eventId, categoryId: drop.categoryId };
    const fan = await signedInUser(ctx.app);
    await problem(
      await reserve(fan.accessToken, { ...ids, seats: ['Stalls-B-2'] }),
      409,
      'single_seat_gap',
    );
    const fans = await Promise.all(Array.from({ length: 4 }, () => signedInUser(ctx.app)));
    for (const [i, seats] of [
      ['Stalls-A-1', 'Stalls-A-2', 'Stalls-A-3', 'Stalls-A-4', 'Stalls-A-5', 'Stalls-A-6'],
      ['Stalls-B-1', 'Stalls-B-2', 'Stalls-B-3', 'Stalls-B-4'],
      ['Circle-A-L1', 'Circle-A-L2', 'Circle-A-R1', 'Circle-A-R2'],
    ].entries())
      expect(
        (await reserve((fans[i] as { accessToken: string }).accessToken, { ...ids, seats })).status,
      ).toBe(201);
    const last = fans[3] as { accessToken: string };
    await problem(
      await reserve(last.accessToken, { ...ids, quantity: 1, adjacent: true }),
      409,
      'sold_out',
    );
    // Once the api's view knows no seat is left, the crowd's presses are refused from
    // memory: the seat script is not run for them.
    const scriptCalls = async () =>
      Number(
        /redis_script_duration_seconds_count\{[^}]*script="reserveSeats"\} (\d+)/.exec(
          await ctx.metrics(),
        )?.[1] ?? 0,
      );
    await eventually(
      async () => {
        const calls = await scriptCalls();
        const res = await reserve(last.accessToken, { ...ids, seats: ['Stalls-A-1'] });
        return res.status === 409 && (await scriptCalls()) === calls;
      },
      { timeoutMs: 3000, what: 'the sell-out known to the api view' },
    );
    const before = await scriptCalls();
    for (const choice of [{ quantity: 2, adjacent: true }, { seats: ['Circle-A-L1'] }])
      expect(
        (await problem(await reserve(last.accessToken, { ...ids, ...choice }), 409, 'sold_out'))
          .available,
      ).toBe(0);
    expect(await scriptCalls()).toBe(before);
  });

  it('a presale stands before seats as before a hold by count (SPEC §9)', async () => {
    const drop = await seatedDrop(
      ctx.app,
      admin,
      {},
      { presale: { enabled: true, endsAt: new Date(Date.now() + 3_600_000).toISOString() } },
    );
    const fan = await signedInUser(ctx.app);
    await problem(
      await reserve(fan.accessToken, { ...drop, category: undefined, seats: ['Stalls-A-1'] }),
      403,
      'access_code_required',
    );
    await problem(
      await reserve(fan.accessToken, {
        eventId: drop.eventId,
        categoryId: drop.categoryId,
        quantity: 2,
        adjacent: true,
      }),
      403,
      'access_code_required',
    );
    expect(rowsOf(await seatsOf(drop))).toEqual(['aaaaaa|aaaa', 'aaaa']);
  });

  it('an admin blocks free seats, not held ones; a blocked seat cannot be held', async () => {
    const drop = await seatedDrop(ctx.app, admin);
    const fan = await signedInUser(ctx.app);
    await reserve(fan.accessToken, { ...drop, category: undefined, seats: ['Stalls-A-1'] });
    const url = `/v1/admin/events/${drop.eventId}/categories/${drop.categoryId}/seats`;
    const refused = await problem(
      await send(ctx.app, 'PATCH', url, admin, { block: ['Stalls-A-1', 'Stalls-A-2'] }),
      409,
      'seats_unavailable',
    );
    expect(refused.unavailable).toEqual(['Stalls-A-1']);
    const blocked = await send(ctx.app, 'PATCH', url, admin, {
      block: ['Stalls-A-2', 'Stalls-A-3'],
    });
    expect(blocked.status).toBe(200);
    expect(rowsOf(await seatsOf(drop))).toEqual(['hbbaaa|aaaa', 'aaaa']);
    await problem(
      await reserve(fan.accessToken, {
        eventId: drop.eventId,
        categoryId: drop.categoryId,
        seats: ['Stalls-A-2'],
      }),
      409,
      'seats_unavailable',
    );
    expect((await send(ctx.app, 'PATCH', url, admin, { unblock: ['Stalls-A-3'] })).status).toBe(
      200,
    );
    expect(rowsOf(await seatsOf(drop))).toEqual(['hbaaaa|aaaa', 'aaaa']);
    const user = await signedInUser(ctx.app);
    expect((await send(ctx.app, 'PATCH', url, user.accessToken, { block: [] })).status).toBe(403);
    await checkInvariants(redis, drop.eventId);
  });
});

describe('after a Redis loss', () => {
  it('the rebuild restores every seat hold and the seats exactly', async () => {
    const isolated = {
      ...config,
      KAFKA_TOPIC_PREFIX: `${config.KAFKA_TOPIC_PREFIX}seat.`,
      REDIS_KEY_PREFIX: `${config.REDIS_KEY_PREFIX}seat:`,
    };
    const app = await buildTestApp(isolated);
    const relay = await startRelay(isolated, redis);
    const consumers = await startConsumers(isolated, ctx.sql, async (_n: Delivery) => {});
    try {
      const token = await adminToken(app);
      const drop = await seatedDrop(app.app, token);
      const ids = { eventId: drop.eventId, categoryId: drop.categoryId };
      const url = `/v1/admin/events/${drop.eventId}/categories/${drop.categoryId}/seats`;
      await send(app.app, 'PATCH', url, token, { block: ['Circle-A-L1'] });
      const fans = await Promise.all(Array.from({ length: 4 }, () => signedInUser(app.app)));
      const held: Json[] = [];
      for (const fan of fans)
        held.push(
          await body(
            await reserve(fan.accessToken, { ...ids, quantity: 2, adjacent: true }, app.app),
          ),
        );
      const sold = held[0] as Json;
      await send(app.app, 'POST', `/v1/reservations/${sold.id}/confirm`, fans[0]?.accessToken, {});
      const released = held[1] as Json;
      await send(app.app, 'DELETE', `/v1/reservations/${released.id}`, fans[1]?.accessToken);
      const before = rowsOf(await seatsOf(drop, app.app));
      await eventually(
        async () => {
          const rows =
            await ctx.sql`select seats, status from reservations where event_id = ${drop.eventId}`;
          const statuses = rows.map((r) => r.status as string).sort();
          // The release is the persister's to write (the api writes sales before it answers).
          return (
            rows.every((r) => (r.seats as string[] | null)?.length === 2) &&
            statuses.join() === 'confirmed,held,held,released'
          );
        },
        { timeoutMs: 20_000, what: 'the record has the seat holds, each at its last step' },
      );

      await deleteKeys(redis, `${isolated.REDIS_KEY_PREFIX}*`);
      const rebuilt = await send(
        app.app,
        'POST',
        `/v1/admin/events/${drop.eventId}/rebuild`,
        token,
      );
      expect(rebuilt.status).toBe(200);
      expect(await body(rebuilt)).toMatchObject({ outcome: 'reconciled', evictedHolds: 0 });
      expect(rowsOf(await seatsOf(drop, app.app))).toEqual(before);
      await checkInvariants(redis, drop.eventId, isolated.REDIS_KEY_PREFIX);
      // A restored hold frees its own seats when released.
      const live = held[2] as Json;
      const gone = await send(
        app.app,
        'DELETE',
        `/v1/reservations/${live.id}`,
        fans[2]?.accessToken,
      );
      expect(await body(gone)).toMatchObject({ status: 'released', seats: live.seats });
      await checkInvariants(redis, drop.eventId, isolated.REDIS_KEY_PREFIX);
    } finally {
      await consumers.stop();
      await relay.stop();
      await app.close();
    }
  }, 120_000);
});
