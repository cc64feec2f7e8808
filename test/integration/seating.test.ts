// Assigned seating (SPEC §8) against a real Redis: exact seats and best-available adjacent
// seats under real concurrency, the gap rule, blocks, and the end of a hold freeing exactly
// its seats. The seat invariants (a seat in at most one live or confirmed hold; held +
// sold + blocked + available = the seats) are checked after each test by checkInvariants.
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { SeatMapInput } from '../../core/catalog/seat-map.js';
import { check, type Hold, HoldError, HoldRefusal } from '../../core/reservations/hold.js';
import { newHoldId } from '../../core/reservations/hold-ids.js';
import { eventKeys } from '../../core/reservations/keys.js';
import { type RunScript, scriptRunnerOf } from '../../core/reservations/scripts.js';
import { type SeatChoice, seedSeatMap } from '../../core/reservations/seating.js';
import { useHoldsPool } from '../helpers/holds-pool.js';
import { checkInvariants } from '../helpers/invariants.js';
import { REDIS_KEY_PREFIX } from '../helpers/services.js';

const pool = useHoldsPool();
const checked: string[] = [];
afterEach(async () => {
  for (const eventId of checked.splice(0)) await checkInvariants(pool.redis, eventId);
});
const onAny = pool.onAny;

/** A seated drop: `rows` rows of `perRow` seats in one section A (rows 1..n, front first). */
async function seatedDrop(opts: {
  rows: number;
  perRow: number;
  noGaps?: boolean;
  holdTtl?: number;
  perUserLimit?: number;
  blocked?: string[];
}) {
  const eventId = randomUUID();
  const categoryId = randomUUID();
  await pool.first.setEventState(
    eventId,
    {
      status: 'on_sale',
      holdTtlSeconds: opts.holdTtl ?? 300,
      perUserLimit: opts.perUserLimit ?? 10,
    },
    { created: true },
  );
  const seatMap: SeatMapInput = {
    sections: [
      {
        name: 'A',
        rows: Array.from({ length: opts.rows }, (_, r) => ({
          name: String(r + 1),
          seats: opts.perRow,
        })),
      },
    ],
  };
  await pool.first.setCategory(eventId, {
    id: categoryId,
    name: 'Seated',
    capacity: opts.rows * opts.perRow,
    perUserLimit: null,
    seatMap,
    noSingleSeatGaps: opts.noGaps ?? false,
    blockedSeats: opts.blocked ?? [],
  });
  checked.push(eventId);
  return { eventId, categoryId };
}

const seatState = async (eventId: string, categoryId: string) =>
  (await pool.first.seatStatus(eventId, categoryId))?.state ?? '';

const reserve = (
  drop: { eventId: string; categoryId: string },
  choice: SeatChoice,
  userId = randomUUID(),
  on = pool.first,
) => on.reserveSeats({ ...drop, userId, choice });

async function refusal(call: Promise<unknown>): Promise<HoldRefusal> {
  const err = await call.then(
    () => null,
    (e: unknown) => e,
  );
  if (!(err instanceof HoldRefusal)) throw new Error(`expected a refusal, got ${String(err)}`);
  return err;
}

describe('exact seats', () => {
  it('holds exactly the seats asked for, all or none', async () => {
    const drop = await seatedDrop({ rows: 2, perRow: 10 });
    const { hold } = await reserve(drop, { seats: ['A-1-3', 'A-1-4'] });
    expect(hold).toMatchObject({ quantity: 2, seats: ['A-1-3', 'A-1-4'], status: 'held' });
    expect(await seatState(drop.eventId, drop.categoryId)).toBe(`aahhaaaaaa${'a'.repeat(10)}`);

    const taken = await refusal(reserve(drop, { seats: ['A-1-5', 'A-1-4', 'A-1-3'] }));
    expect(taken.code).toBe(HoldError.SeatsUnavailable);
    expect(taken.info).toEqual(['A-1-4', 'A-1-3']);
    const unknown = await refusal(reserve(drop, { seats: ['A-1-5', 'A-9-1'] }));
    expect(unknown).toMatchObject({ code: HoldError.UnknownSeats, info: ['A-9-1'] });
    // Nothing of a refused hold was taken.
    expect(await seatState(drop.eventId, drop.categoryId)).toBe(`aahhaaaaaa${'a'.repeat(10)}`);
    expect((await pool.first.stock(drop.eventId))[0]).toMatchObject({ held: 2, available: 18 });
  });

  it('1,000 concurrent holds of overlapping seat sets: every seat in at most one hold', async () => {
    const drop = await seatedDrop({ rows: 10, perRow: 20 });
    // Each request asks for 1 to 4 seats next to a random seat: many overlap.
    const requests = Array.from({ length: 1000 }, (_, i) => {
      const row = 1 + (i % 10);
      const first = 1 + Math.floor(Math.random() * 17);
      const count = 1 + (i % 4);
      return Array.from({ length: count }, (_, j) => `A-${row}-${first + j}`);
    });
    const results = await Promise.allSettled(
      requests.map((seats, i) => reserve(drop, { seats }, randomUUID(), onAny(i))),
    );
    const granted: Hold[] = [];
    for (const r of results) {
      if (r.status === 'fulfilled') granted.push(r.value.hold);
      else expect((r.reason as HoldRefusal).code).toBe(HoldError.SeatsUnavailable);
    }
    const seats = granted.flatMap((h) => h.seats ?? []);
    expect(new Set(seats).size).toBe(seats.length);
    expect(granted.length).toBeGreaterThan(40);
    const state = await seatState(drop.eventId, drop.categoryId);
    expect([...state].filter((c) => c === 'h')).toHaveLength(seats.length);
  });
  it('a seat id’s place names its row; places kept before the row still hold, and a resync writes the rows', async () => {
    const drop = await seatedDrop({ rows: 3, perRow: 4, noGaps: true });
    const places = eventKeys(drop.eventId, REDIS_KEY_PREFIX).seatPositions(drop.categoryId);
    expect(await pool.redis.hmget(places, 'A-1-1', 'A-2-3', 'A-3-4')).toEqual([
      '0:0',
      '6:1',
      '11:2',
    ]);
    // As a map seeded before places named their rows has them: the position alone.
    const all = await pool.redis.hgetall(places);
    for (const [id, place] of Object.entries(all)) all[id] = place.split(':')[0] as string;
    await pool.redis.hset(places, all);
    // The rows come from the row starts then: the gap rule still sees the row's ends.
    expect((await refusal(reserve(drop, { seats: ['A-2-2', 'A-2-3'] }))).code).toBe(
      HoldError.SingleSeatGap,
    );
    const { hold } = await reserve(drop, { seats: ['A-2-3', 'A-2-4'] });
    expect(hold.seats).toEqual(['A-2-3', 'A-2-4']);
    expect(await seatState(drop.eventId, drop.categoryId)).toBe('aaaaaahhaaaa');
    // The catalog's map set again: the places are written with their rows.
    await pool.first.setCategory(drop.eventId, {
      id: drop.categoryId,
      name: 'Seated',
      capacity: 12,
      perUserLimit: null,
      seatMap: {
        sections: [{ name: 'A', rows: ['1', '2', '3'].map((name) => ({ name, seats: 4 })) }],
      },
      noSingleSeatGaps: true,
      blockedSeats: [],
    });
    expect(await pool.redis.hmget(places, 'A-2-3', 'A-3-1')).toEqual(['6:1', '8:2']);
    // (2 in the middle of row 1 would leave 1 and 4 alone.)
    expect((await reserve(drop, { adjacent: 2 })).hold.seats).toEqual(['A-1-1', 'A-1-2']);
  });
});

describe('a traced seated hold', () => {
  it('carries its traceparent and request id into the outbox entry; an untraced one neither', async () => {
    // The arguments seating.ts adds for a traced request only, given straight to the script.
    const drop = await seatedDrop({ rows: 2, perRow: 10 });
    const k = eventKeys(drop.eventId, REDIS_KEY_PREFIX);
    const run = scriptRunnerOf(pool.redis);
    const traceparent = `00-${'1'.repeat(32)}-${'2'.repeat(16)}-01`;
    const place = (mode: string, extra: string[]) => {
      const userId = randomUUID();
      const holdId = newHoldId(drop.eventId);
      const quantity = mode.startsWith('seats')
        ? extra.length - (mode.endsWith(':traced') ? 2 : 0)
        : 2;
      return run(
        'reserveSeats',
        [
          k.event,
          k.category(drop.categoryId),
          k.user(userId),
          k.hold(holdId),
          k.expiry,
          k.outbox,
          k.idempotency(userId, '-'),
          k.seats(drop.categoryId),
          k.seatPositions(drop.categoryId),
          k.seatIds(drop.categoryId),
        ],
        [
          holdId,
          drop.eventId,
          drop.categoryId,
          userId,
          quantity,
          '',
          60_000,
          300,
          '',
          k.holdPrefix,
          mode,
          ...extra,
        ],
      ).then((reply) => ({ holdId, reply: check(reply) }));
    };
    const exact = await place('seats:traced', [traceparent, 'req-exact', 'A-2-1', 'A-2-2']);
    const best = await place('adjacent:traced', [traceparent, 'req-best']);
    const plain = await place('seats', ['A-2-9', 'A-2-10']);
    const entries = (await pool.redis.xrange(k.outbox, '-', '+')).map(([, fields]) => {
      const e = new Map<string | undefined, string | undefined>();
      for (let i = 0; i < fields.length; i += 2) e.set(fields[i], fields[i + 1]);
      return [e.get('reservationId'), e.get('seats'), e.get('traceparent'), e.get('requestId')];
    });
    expect(entries).toEqual([
      [exact.holdId, 'A-2-1,A-2-2', traceparent, 'req-exact'],
      [best.holdId, expect.stringMatching(/^A-1-\d+,A-1-\d+$/), traceparent, 'req-best'],
      [plain.holdId, 'A-2-9,A-2-10', undefined, undefined],
    ]);
  });
});

describe('setting a seated category again', () => {
  it('sends its seat ids only when Redis lacks them: a rename in a sale keeps the seats', async () => {
    const drop = await seatedDrop({ rows: 2, perRow: 5 });
    const k = eventKeys(drop.eventId, REDIS_KEY_PREFIX);
    await reserve(drop, { seats: ['A-1-2', 'A-1-3'] });
    const run = scriptRunnerOf(pool.redis);
    const calls: [string, number][] = [];
    const counted: RunScript = (name, keys, args) => {
      calls.push([name, args.length]);
      return run(name, keys, args);
    };
    const category = {
      id: drop.categoryId,
      name: 'Renamed',
      perUserLimit: null,
      seatMap: { sections: [{ name: 'A', rows: ['1', '2'].map((name) => ({ name, seats: 5 })) }] },
      noSingleSeatGaps: false,
      blockedSeats: ['A-2-5'],
    };
    expect(await seedSeatMap(counted, k, category)).toBe(7);
    // The settings alone: the map's ten ids stay where they are.
    expect(calls).toEqual([['setSeatMap', 6]]);
    expect(await pool.redis.hget(k.category(drop.categoryId), 'name')).toBe('Renamed');
    expect(await seatState(drop.eventId, drop.categoryId)).toBe('ahhaaaaaab');
    // The ids lost (a partial restore): asked for, sent, written again.
    await pool.redis.del(k.seatPositions(drop.categoryId), k.seatIds(drop.categoryId));
    calls.length = 0;
    expect(await seedSeatMap(counted, k, category)).toBe(7);
    expect(calls).toEqual([
      ['setSeatMap', 6],
      ['setSeatMap', 16],
      ['collectGarbage', 0],
    ]);
    expect(await pool.redis.hget(k.seatPositions(drop.categoryId), 'A-2-4')).toBe('8:1');
    expect((await reserve(drop, { seats: ['A-2-4'] })).hold.seats).toEqual(['A-2-4']);
  });
});

describe('best-available adjacent seats', () => {
  it('takes the front row first, nearest its middle', async () => {
    const drop = await seatedDrop({ rows: 3, perRow: 10 });
    const first = await reserve(drop, { adjacent: 4 });
    expect(first.hold.seats).toEqual(['A-1-4', 'A-1-5', 'A-1-6', 'A-1-7']);
    const second = await reserve(drop, { adjacent: 2 });
    expect(second.hold.seats).toEqual(['A-1-2', 'A-1-3']);
    // Row 1 has 1 + 3 seats left: 4 adjacent come from row 2.
    const third = await reserve(drop, { adjacent: 4 });
    expect(third.hold.seats).toEqual(['A-2-4', 'A-2-5', 'A-2-6', 'A-2-7']);
  });

  it('200 concurrent "4 adjacent" on a 1,000-seat section: 4 adjacent seats in one row each, none shared', async () => {
    const drop = await seatedDrop({ rows: 25, perRow: 40 });
    const results = await Promise.allSettled(
      Array.from({ length: 200 }, (_, i) => reserve(drop, { adjacent: 4 }, randomUUID(), onAny(i))),
    );
    const granted = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value.hold] : []));
    // 25 rows × 10 windows of 4: all 200 fit.
    expect(granted).toHaveLength(200);
    const seats = granted.flatMap((h) => h.seats ?? []);
    expect(new Set(seats).size).toBe(800);
    for (const h of granted) {
      const places = (h.seats ?? []).map((id) => id.split('-').map((p, i) => (i ? Number(p) : p)));
      expect(new Set(places.map((p) => p[1])).size).toBe(1);
      const labels = places.map((p) => p[2] as number);
      expect(labels).toEqual(labels.map((_, i) => (labels[0] as number) + i));
    }
    // Front rows first: the rows used are the front ones, each full before the next is
    // used (a row of 40 takes 9 picks of 4 from its middle out: 18 + 4 + 18).
    const rows = [...new Set(granted.map((h) => Number(h.seats?.[0]?.split('-')[1])))];
    rows.sort((a, b) => a - b);
    expect(rows).toEqual(Array.from({ length: 23 }, (_, i) => i + 1));
  });

  it('refuses no_adjacent_seats when no row has them, sold_out when no seat is left', async () => {
    const drop = await seatedDrop({ rows: 2, perRow: 3 });
    await reserve(drop, { seats: ['A-1-2', 'A-2-2'] });
    expect((await refusal(reserve(drop, { adjacent: 2 }))).code).toBe(HoldError.NoAdjacentSeats);
    await reserve(drop, { adjacent: 1 });
    await reserve(drop, { seats: ['A-1-3', 'A-2-1', 'A-2-3'] });
    expect(await refusal(reserve(drop, { adjacent: 1 }))).toMatchObject({
      code: HoldError.SoldOut,
      info: ['0'],
    });
  });
});

describe('single seat gaps (noSingleSeatGaps)', () => {
  it('refuses exact seats that leave a lone seat beside a taken one or the row’s end', async () => {
    const drop = await seatedDrop({ rows: 1, perRow: 8, noGaps: true });
    // Seat 1 would be alone against the row's end.
    expect((await refusal(reserve(drop, { seats: ['A-1-2', 'A-1-3'] }))).code).toBe(
      HoldError.SingleSeatGap,
    );
    await reserve(drop, { seats: ['A-1-1', 'A-1-2'] });
    // Seat 3 would be alone between 2 (taken) and 4.
    expect((await refusal(reserve(drop, { seats: ['A-1-4'] }))).code).toBe(HoldError.SingleSeatGap);
    await reserve(drop, { seats: ['A-1-3', 'A-1-4'] });
    expect(await seatState(drop.eventId, drop.categoryId)).toBe('hhhhaaaa');
  });

  it('judges each seat in its own row: the next row’s seats are not its neighbours', async () => {
    const drop = await seatedDrop({ rows: 2, perRow: 3, noGaps: true, blocked: ['A-2-2'] });
    // A-2-1, after A-1-3 in seat order, is alone already: it is row 2's, not this hold's.
    await reserve(drop, { seats: ['A-1-3'] });
    // Row 1's end and row 2's start in one hold: A-1-1 would be alone, A-2-3 is fine.
    expect((await refusal(reserve(drop, { seats: ['A-1-2', 'A-2-3'] }))).code).toBe(
      HoldError.SingleSeatGap,
    );
    await reserve(drop, { seats: ['A-1-1', 'A-1-2', 'A-2-3'] });
    expect(await seatState(drop.eventId, drop.categoryId)).toBe('hhhabh');
  });

  it('best-available steps aside from a gap, and says single_seat_gap when it cannot', async () => {
    const drop = await seatedDrop({ rows: 1, perRow: 7, noGaps: true });
    // The middle 3 (3..5) would leave 2 and 2: fine.
    expect((await reserve(drop, { adjacent: 3 })).hold.seats).toEqual(['A-1-3', 'A-1-4', 'A-1-5']);
    // 1 of the 2 left on either side would leave a lone seat: refused.
    expect((await refusal(reserve(drop, { adjacent: 1 }))).code).toBe(HoldError.SingleSeatGap);
    expect((await reserve(drop, { adjacent: 2 })).hold.seats).toEqual(['A-1-1', 'A-1-2']);

    const other = await seatedDrop({ rows: 1, perRow: 6, noGaps: true });
    // 4 in the middle (2..5) would leave 1 and 1: the pick moves to 1..4 (leaving 2).
    expect((await reserve(other, { adjacent: 4 })).hold.seats).toEqual([
      'A-1-1',
      'A-1-2',
      'A-1-3',
      'A-1-4',
    ]);
  });
});

describe('the end of a seated hold frees exactly its seats', () => {
  it('release and cancel free the seats; confirm sells them', async () => {
    const drop = await seatedDrop({ rows: 1, perRow: 6 });
    const user = randomUUID();
    const a = await reserve(drop, { seats: ['A-1-1', 'A-1-2'] }, user);
    const b = await reserve(drop, { seats: ['A-1-5'] }, user);
    await pool.first.confirm(b.hold.id, user);
    expect(await seatState(drop.eventId, drop.categoryId)).toBe('hhaasa');
    const released = await pool.first.giveBack(a.hold.id, user);
    expect(released).toMatchObject({ status: 'released', seats: ['A-1-1', 'A-1-2'] });
    expect(await seatState(drop.eventId, drop.categoryId)).toBe('aaaasa');
    await pool.first.giveBack(b.hold.id, user);
    expect(await seatState(drop.eventId, drop.categoryId)).toBe('aaaaaa');
  });

  it('expiry frees exactly the expired hold’s seats', async () => {
    const drop = await seatedDrop({ rows: 1, perRow: 6, holdTtl: 1 });
    const short = await reserve(drop, { seats: ['A-1-2', 'A-1-3'] });
    await pool.first.setEventState(drop.eventId, {
      status: 'on_sale',
      holdTtlSeconds: 300,
      perUserLimit: 10,
    });
    await reserve(drop, { seats: ['A-1-5'] });
    await new Promise((r) => setTimeout(r, 1100));
    expect(await pool.first.expire(drop.eventId, short.hold.id)).toBeGreaterThanOrEqual(0);
    expect(await seatState(drop.eventId, drop.categoryId)).toBe('aaaaha');
  });
});

describe('blocks and the kinds of category', () => {
  it('blocks available seats only; a blocked seat is not sold; capacity counts it out', async () => {
    const drop = await seatedDrop({ rows: 1, perRow: 5, blocked: ['A-1-5'] });
    await reserve(drop, { seats: ['A-1-1'] });
    expect(
      await refusal(
        pool.first.blockSeats(drop.eventId, drop.categoryId, {
          block: ['A-1-1', 'A-1-2'],
          unblock: [],
        }),
      ),
    ).toMatchObject({ code: HoldError.SeatsUnavailable, info: ['A-1-1'] });
    await pool.first.blockSeats(drop.eventId, drop.categoryId, {
      block: ['A-1-2'],
      unblock: ['A-1-5'],
    });
    expect(await seatState(drop.eventId, drop.categoryId)).toBe('hbaaa');
    expect((await refusal(reserve(drop, { seats: ['A-1-2'] }))).info).toEqual(['A-1-2']);
    expect((await pool.first.stock(drop.eventId))[0]).toMatchObject({ capacity: 4, available: 3 });
  });

  it('blocks more seats than one write takes: all of them, counted in their rows', async () => {
    const blocked = Array.from(
      { length: 1100 },
      (_, i) => `A-${1 + Math.floor(i / 110)}-${1 + (i % 110)}`,
    );
    const drop = await seatedDrop({ rows: 10, perRow: 120, blocked });
    const state = await seatState(drop.eventId, drop.categoryId);
    expect([...state].filter((c) => c === 'b')).toHaveLength(1100);
    expect((await pool.first.stock(drop.eventId))[0]).toMatchObject({ capacity: 100 });
    expect((await reserve(drop, { adjacent: 10 })).hold.seats?.[0]).toBe('A-1-111');
  });

  it('a seated category takes no hold by count, a category by count no seats', async () => {
    const drop = await seatedDrop({ rows: 1, perRow: 5 });
    const byCount = await refusal(
      pool.first.reserve({ ...drop, userId: randomUUID(), quantity: 1 }),
    );
    expect(byCount.code).toBe(HoldError.CategorySeated);
    const plain = randomUUID();
    await pool.first.setCategory(drop.eventId, {
      id: plain,
      name: 'GA',
      capacity: 5,
      perUserLimit: null,
    });
    const seats = await refusal(reserve({ ...drop, categoryId: plain }, { adjacent: 1 }));
    expect(seats.code).toBe(HoldError.CategoryNotSeated);
  });

  it('per-user limits and Idempotency-Key work as for holds by count', async () => {
    const drop = await seatedDrop({ rows: 1, perRow: 10, perUserLimit: 3 });
    const user = randomUUID();
    const idempotency = { key: randomUUID(), fingerprint: 'f1' };
    const first = await pool.first.reserveSeats({
      ...drop,
      userId: user,
      choice: { adjacent: 2 },
      idempotency,
    });
    const again = await pool.first.reserveSeats({
      ...drop,
      userId: user,
      choice: { adjacent: 2 },
      idempotency,
    });
    expect(again).toMatchObject({
      replayed: true,
      hold: { id: first.hold.id, seats: first.hold.seats },
    });
    expect(await refusal(reserve(drop, { adjacent: 2 }, user))).toMatchObject({
      code: HoldError.LimitExceeded,
      info: ['3', '2'],
    });
  });
});
