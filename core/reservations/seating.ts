// Assigned seating (SPEC §8) on the Redis side: a seated category's seats, one status byte
// each in map order (lua/setSeatMap-5.lua), held exactly or best-available in one script
// (lua/reserveSeats-10.lua), blocked by an admin, read as a versioned status string, and
// set again from the merged holds after a data loss. A seated hold goes alone, not in the
// group commit of holds by count (reserve-batch.ts): its script scans seats, and the hot
// path of a general-admission drop stays as it was.

import { type Span, tracedRequestId, traceparentOf } from '../../platform/tracing.js';
import {
  layoutOf,
  rowStartsField,
  type SeatLayout,
  type SeatMapInput,
} from '../catalog/seat-map.js';
import { check, type Hold, type Idempotency, placedHold } from './hold.js';
import { newHoldId } from './hold-ids.js';
import { endHoldSpan, endRefusedHoldSpan, startHoldSpan } from './hold-spans.js';
import type { EventKeys, Keyspace } from './keys.js';
import type { RunScript } from './scripts.js';

/** A seated category as the catalog has it. */
export interface SeatedCategory {
  id: string;
  name: string;
  perUserLimit: number | null;
  seatMap: SeatMapInput;
  noSingleSeatGaps: boolean;
  blockedSeats: string[];
}

/** What a seated reserve asks for: these seats, or the best `quantity` adjacent ones. */
export type SeatChoice = { seats: string[] } | { adjacent: number };

/** The positions of seat ids in a layout, comma-separated (ids it lacks are skipped). */
export const positionsOf = (layout: SeatLayout, ids: readonly string[]) =>
  ids
    .map((id) => layout.positions.get(id))
    .filter((p) => p !== undefined)
    .join(',');

/** setSeatMap-5.lua's answer when Redis lacks the seat ids: call again with them. */
const SEAT_IDS_NEEDED = -30;

/**
 * Seeds a seated category, or sets it again as the catalog says; what is available. The
 * seat ids go only when Redis lacks them (a new map, a lost one): a rename or a resync
 * during a sale sends the settings alone, not a stadium's ids.
 */
export async function seedSeatMap(
  run: RunScript,
  k: EventKeys,
  category: SeatedCategory,
): Promise<number> {
  const layout = layoutOf(category.id, category.seatMap);
  const set = (ids: readonly string[]) =>
    run(
      'setSeatMap',
      [
        k.category(category.id),
        k.categories,
        k.seats(category.id),
        k.seatPositions(category.id),
        k.seatIds(category.id),
      ],
      [
        category.id,
        category.name,
        category.perUserLimit ?? 0,
        category.noSingleSeatGaps ? '1' : '',
        rowStartsField(layout),
        positionsOf(layout, category.blockedSeats),
        ...ids,
      ],
    );
  let reply = await set([]);
  if (Number(reply[0]) === SEAT_IDS_NEEDED) {
    reply = await set(layout.ids);
    // Every seat id is in Redis's Lua now, as the script's arguments (and the places it
    // wrote): collected at once, by the seeding, not a little by each hold after it.
    await run('collectGarbage', [k.category(category.id)], []);
  }
  return Number(check(reply)[1]);
}

export function createSeating(
  keys: Keyspace,
  run: RunScript,
  rules: { idempotencyTtlMs: number; defaultHoldTtlSeconds: number },
  claimKey: (userId: string, idem: Idempotency) => Promise<void>,
) {
  const eventKeys = keys.event;

  type SeatedReserve = {
    eventId: string;
    categoryId: string;
    userId: string;
    choice: SeatChoice;
    idempotency?: Idempotency;
    queuePass?: string;
  };

  /** The seated reserve's script call; a traced one's outbox entry carries its trace. */
  async function placeSeats(
    input: SeatedReserve,
    span: Span | undefined,
  ): Promise<{ hold: Hold; replayed: boolean }> {
    const { eventId, categoryId, userId, choice, idempotency } = input;
    if (idempotency) await claimKey(userId, idempotency);
    const k = eventKeys(eventId);
    const holdId = newHoldId(eventId);
    const seats = 'seats' in choice ? choice.seats : [];
    const quantity = 'seats' in choice ? seats.length : choice.adjacent;
    const mode = 'seats' in choice ? 'seats' : 'adjacent';
    const traced = span ? [traceparentOf(span), tracedRequestId() ?? ''] : [];
    const reply = check(
      await run(
        'reserveSeats',
        [
          k.event,
          k.category(categoryId),
          k.user(userId),
          k.hold(holdId),
          k.expiry,
          k.outbox,
          k.idempotency(userId, idempotency?.key ?? '-'),
          k.seats(categoryId),
          k.seatPositions(categoryId),
          k.seatIds(categoryId),
        ],
        [
          holdId,
          eventId,
          categoryId,
          userId,
          quantity,
          idempotency?.fingerprint ?? '',
          rules.idempotencyTtlMs,
          rules.defaultHoldTtlSeconds,
          input.queuePass ?? '',
          k.holdPrefix,
          span ? `${mode}:traced` : mode,
          ...traced,
          ...seats,
        ],
      ),
    );
    return {
      hold: placedHold({ eventId, categoryId, userId, quantity }, reply),
      replayed: Number(reply[0]) === 2,
    };
  }

  return {
    /**
     * Places a hold on seats: one script, alone (two round trips with an
     * Idempotency-Key, whose claim spans events). `replayed`: the key gave the original.
     */
    async reserveSeats(input: SeatedReserve): Promise<{ hold: Hold; replayed: boolean }> {
      // Undefined unless the request is traced: then its outbox entry carries the trace on.
      const span = startHoldSpan('reserveSeats', input.eventId);
      try {
        const placed = await placeSeats(input, span);
        if (span) endHoldSpan(span, placed.replayed ? 'replayed' : 'placed', placed.hold.id);
        return placed;
      } catch (err) {
        if (span) endRefusedHoldSpan(span, err);
        throw err;
      }
    },

    /**
     * Blocks and unblocks seats; a held or sold seat cannot be blocked (a refusal naming
     * them, and nothing changes). Returns the seats' new version.
     */
    async blockSeats(
      eventId: string,
      categoryId: string,
      change: { block: string[]; unblock: string[] },
    ): Promise<number> {
      const k = eventKeys(eventId);
      const reply = check(
        await run(
          'blockSeats',
          [k.category(categoryId), k.seats(categoryId), k.seatPositions(categoryId), k.event],
          [change.block.length, ...change.block, ...change.unblock],
        ),
      );
      return Number(reply[1]);
    },

    /**
     * A seated category's seats now, one status character each in map order, and their
     * version; `state` is absent when the caller's `known` version is still current. Null
     * for a category Redis does not hold as seated.
     */
    async seatStatus(
      eventId: string,
      categoryId: string,
      known?: number,
    ): Promise<{ version: number; state?: string } | null> {
      const k = eventKeys(eventId);
      const reply = await run(
        'seatStatus',
        [k.category(categoryId), k.seats(categoryId)],
        [known === undefined ? '' : String(known)],
      );
      if (reply.length === 0) return null;
      const version = Number(reply[0]);
      return reply.length > 1 ? { version, state: String(reply[1]) } : { version };
    },

    /** The seats as the merged holds say, after a data loss (positions of held, sold). */
    async setSeatState(
      eventId: string,
      categoryId: string,
      seats: { held: string; sold: string },
    ): Promise<void> {
      const k = eventKeys(eventId);
      check(
        await run(
          'setSeatState',
          [k.category(categoryId), k.seats(categoryId)],
          [seats.held, seats.sold],
        ),
      );
    },
  };
}

export type Seating = ReturnType<typeof createSeating>;
