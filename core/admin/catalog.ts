// The catalog's business operations: create, change and delete events, add and change their
// ticket categories. The admin routes and the seed call these; nothing else writes the
// catalog. Postgres is the record of what the catalog is; Redis holds what the hot path
// reads of it (sale state, hold rules, capacities) next to what only Redis knows (held and
// sold counts). Every operation runs the same steps, in this order:
//
//   1. a Postgres transaction locks the event row (one change of an event at a time),
//      checks the request, writes the rows, the audit entry and (on create) the event mark;
//   2. Redis takes the new state (setEventState / setCategory, whose Lua checks what only
//      Redis can: capacity against held + sold);
//   3. the change is appended to the catalog outbox (relayed to catalog.v1);
//   4. the transaction commits;
//   5. after the commit: a deleted event's keys are removed from Redis, and the catalog
//      cache is invalidated.
//
// What each failure leaves behind:
// - A refusal in 1 (no such event, illegal status move, name taken, reservations exist):
//   nothing was written anywhere.
// - Redis refuses or fails in 2, the outbox append fails in 3, or the commit fails in 4:
//   Postgres rolls back, and Redis is then re-derived from Postgres for that event, under
//   the event's row lock in a fresh transaction (`resyncEvent`): its state and every
//   category's capacity, limit and name are set from the committed rows, a category that
//   was never committed is removed, and an event that was never committed is forgotten.
//   Held and sold counts are Redis's own and are not touched; should holds have been sold
//   into a raised capacity in the milliseconds before a failed commit, Redis keeps what it
//   sold (a sale is never dropped) and the mismatch is logged for an operator's rebuild.
//   If Redis is unreachable for the resync too, the error is logged; the next Redis boot's
//   verifier, or an operator's rebuild, writes the event again from Postgres.
// - A commit that fails after step 3 has announced a change that was not made: catalog.v1
//   consumers read the catalog again by event id, so they see what is.
// - A failure in 5 leaves the change made and committed; the caller sees the error. A
//   deleted event's leftover keys are paused and hold nothing, so nothing can sell there.

import type { Db, DbOrTx } from '../../platform/db/client.js';
import { isUniqueViolation } from '../../platform/db/errors.js';
import type { Logger } from '../../platform/logger.js';
import type { RedisClient } from '../../platform/redis.js';
import { recordAudit } from '../audit.js';
import type { CatalogCache } from '../catalog/cache.js';
import { type CatalogChange, eventChangeType } from '../catalog/changes.js';
import { dropAccessColumns } from '../catalog/drop-access.js';
import {
  type CategoryRow,
  deleteEventRow,
  type EventRow,
  findCategory,
  findEvent,
  hasReservations,
  insertCategory,
  insertEvent,
  listCategories,
  type NewEvent,
  updateCategory,
  updateEvent,
} from '../catalog/events.js';
import { blockedAfter, layoutOf, seatLayout, seatMapProblem } from '../catalog/seat-map.js';
import { canMove } from '../catalog/status.js';
import { waitingRoomColumns } from '../catalog/waiting-room.js';
import { forgetMarks, raiseMarks } from '../records/event-marks.js';
import { eventStateOf } from '../reservations/event-stock.js';
import { HoldRefusal } from '../reservations/hold.js';
import type { Holds } from '../reservations/holds.js';
import {
  type Actor,
  CatalogRefusal,
  type CategoryInput,
  type CategoryPatch,
  type EventInput,
  type EventPatch,
  type SeatBlocks,
} from './catalog-input.js';

export * from './catalog-input.js';

export interface CatalogDeps {
  db: Db;
  holds: Holds;
  /** the client `holds` runs on: removes a category Redis took but Postgres never kept */
  redis: RedisClient;
  defaultHoldTtlSeconds: number;
  /** REDIS_KEY_PREFIX: whose event marks a new event raises */
  namespace: string;
  /** Appends a change to the catalog outbox (relayed to catalog.v1). */
  publish: (change: CatalogChange) => Promise<void>;
  /** the api's catalog cache; tools without one leave it out */
  cache?: Pick<CatalogCache, 'invalidate'>;
  logger?: Pick<Logger, 'error'>;
}

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

const toDate = (iso: string | null | undefined) => (iso == null ? iso : new Date(iso));
const now = () => new Date().toISOString();

export function catalogOperations(deps: CatalogDeps) {
  const { db, holds, publish } = deps;

  const redisState = (e: EventRow) => eventStateOf(e, deps.defaultHoldTtlSeconds);

  /**
   * Makes Redis say what Postgres says of the event (its state, its categories' capacity,
   * limit and name), under the event's row lock; forgets it if Postgres has no such event.
   */
  async function resyncEvent(eventId: string): Promise<void> {
    await db.transaction(async (tx) => {
      const event = await findEvent(tx, eventId, { lock: true });
      if (!event) {
        // Never committed, or deleted (which needs it to have no reservations).
        await holds.forgetEvent(eventId);
        return;
      }
      await holds.setEventState(eventId, redisState(event));
      const categories = await listCategories(tx, eventId);
      const kept = new Set(categories.map((k) => k.id));
      const keys = holds.keys.event(eventId);
      for (const id of await deps.redis.smembers(keys.categories)) {
        if (kept.has(id)) continue;
        // Taken by Redis but never committed: its id was never answered, nothing holds it.
        await deps.redis.del(keys.category(id));
        await deps.redis.srem(keys.categories, id);
      }
      for (const category of categories) {
        await holds.setCategory(eventId, category).catch((err) => {
          if (!(err instanceof HoldRefusal)) throw err;
          deps.logger?.error(
            { eventId, categoryId: category.id, capacity: category.capacity, info: err.info },
            'Redis sold beyond the committed capacity before a failed change; rebuild the event',
          );
        });
      }
    });
  }

  /**
   * Steps 1–4 of the header: `work` runs in the transaction and calls `touch(eventId)`
   * before its first Redis write; if anything fails from then on, including the commit,
   * Redis is re-derived from what Postgres kept.
   */
  async function change<T>(
    work: (tx: Tx, touch: (eventId: string) => void) => Promise<T>,
  ): Promise<T> {
    let touched: string | undefined;
    try {
      return await db.transaction((tx) =>
        work(tx, (eventId) => {
          touched = eventId;
        }),
      );
    } catch (err) {
      if (touched !== undefined) {
        await resyncEvent(touched).catch((resyncErr) =>
          deps.logger?.error(
            { eventId: touched, err: resyncErr },
            'Redis not re-derived after a failed catalog change; the verifier or a rebuild will',
          ),
        );
      }
      throw err;
    }
  }

  const lockedEvent = async (tx: DbOrTx, eventId: string) => {
    const event = await findEvent(tx, eventId, { lock: true });
    if (!event) throw new CatalogRefusal('not_found', 'No such event');
    return event;
  };

  const invalidate = async () => {
    await deps.cache?.invalidate();
  };

  return {
    resyncEvent,

    async createEvent(input: EventInput, actor: Actor): Promise<EventRow> {
      const { id, waitingRoom, presale, botChallenge, ...changes } = input;
      const event = await change(async (tx, touch) => {
        const row = await insertEvent(tx, {
          ...changes,
          ...(waitingRoom ? waitingRoomColumns(waitingRoom) : {}),
          ...dropAccessColumns({ presale, botChallenge }),
          ...(id ? { id } : {}),
          startsAt: new Date(input.startsAt),
          endsAt: toDate(input.endsAt),
          status: input.status ?? 'draft',
        } as NewEvent);
        await recordAudit(tx, {
          actorId: actor.actorId,
          action: 'event.created',
          targetType: 'event',
          targetId: row.id,
          requestId: actor.requestId,
        });
        // The record knows the event from now on, so a Redis that loses it is noticed.
        await raiseMarks(tx, deps.namespace, [{ eventId: row.id, changeSeq: 0 }]);
        touch(row.id);
        // `created`: a new event has no durable changes, so Redis's state of it is complete.
        await holds.setEventState(row.id, redisState(row), { created: true });
        await publish({ type: 'event.created', eventId: row.id, at: now(), changes });
        return row;
      });
      await invalidate();
      return event;
    },

    async updateEvent(eventId: string, patch: EventPatch, actor: Actor): Promise<EventRow> {
      const event = await change(async (tx, touch) => {
        const current = await lockedEvent(tx, eventId);
        if (patch.status && !canMove(current.status, patch.status)) {
          throw new CatalogRefusal(
            'invalid_transition',
            `An event cannot move from ${current.status} to ${patch.status}`,
            { from: current.status, to: patch.status },
          );
        }
        const startsAt = patch.startsAt ? new Date(patch.startsAt) : current.startsAt;
        const endsAt = patch.endsAt === undefined ? current.endsAt : toDate(patch.endsAt);
        if (endsAt && endsAt < startsAt) {
          throw new CatalogRefusal('ends_before_starts', 'endsAt must not be before startsAt');
        }
        const { waitingRoom, presale, botChallenge, ...fields } = patch;
        const row = await updateEvent(tx, eventId, {
          ...fields,
          ...(waitingRoom ? waitingRoomColumns(waitingRoom) : {}),
          ...dropAccessColumns({ presale, botChallenge }),
          startsAt,
          endsAt,
        });
        await recordAudit(tx, {
          actorId: actor.actorId,
          action:
            patch.status && patch.status !== current.status
              ? 'event.status_changed'
              : 'event.updated',
          targetType: 'event',
          targetId: eventId,
          details: { changes: patch, previousStatus: current.status },
          requestId: actor.requestId,
        });
        touch(eventId);
        await holds.setEventState(eventId, redisState(row));
        // A new date, venue, or a cancellation reaches every holder (the notifier fans out).
        await publish({ type: eventChangeType(current, row), eventId, at: now(), changes: patch });
        return row;
      });
      await invalidate();
      return event;
    },

    async deleteEvent(eventId: string, actor: Actor): Promise<void> {
      await change(async (tx, touch) => {
        const event = await lockedEvent(tx, eventId);
        touch(eventId);
        // Stop sales first, so no hold can slip in between the check and the delete; a
        // refusal below puts the state back (the resync of `change`).
        await holds.setEventState(eventId, { ...redisState(event), status: 'paused' });
        const live = (await holds.stock(eventId)).some((k) => k.held + k.confirmed > 0);
        if (live || (await hasReservations(tx, eventId))) {
          throw new CatalogRefusal(
            'has_reservations',
            'The event has reservations; cancel it instead',
          );
        }
        await deleteEventRow(tx, eventId);
        // A deleted event is gone, not lost: a reserve on it is 404, and no verifier checks it.
        await forgetMarks(tx, eventId);
        await recordAudit(tx, {
          actorId: actor.actorId,
          action: 'event.deleted',
          targetType: 'event',
          targetId: eventId,
          requestId: actor.requestId,
        });
        await publish({ type: 'event.deleted', eventId, at: now(), changes: {} });
      });
      // Only once the delete is committed: until then the event (paused) stays in Redis.
      await holds.forgetEvent(eventId);
      await invalidate();
    },

    async addCategory(eventId: string, input: CategoryInput, actor: Actor): Promise<CategoryRow> {
      const category = await change(async (tx, touch) => {
        const event = await lockedEvent(tx, eventId);
        if ((await listCategories(tx, eventId)).some((k) => k.name === input.name)) {
          throw new CatalogRefusal('name_taken', 'The event has a category of that name already');
        }
        const problem = input.seatMap && seatMapProblem(input.seatMap);
        if (problem) throw new CatalogRefusal('invalid_seats', `seatMap: ${problem}`);
        const row = await insertCategory(tx, {
          ...input,
          eventId,
          perUserLimit: input.perUserLimit ?? null,
          capacity: input.seatMap ? seatLayout(input.seatMap).ids.length : (input.capacity ?? 0),
        });
        await recordAudit(tx, {
          actorId: actor.actorId,
          action: 'category.created',
          targetType: 'ticket_category',
          targetId: row.id,
          details: { eventId, capacity: row.capacity },
          requestId: actor.requestId,
        });
        touch(eventId);
        // The event's state is written too, so a drop works even if Redis lost it.
        await holds.setEventState(eventId, redisState(event));
        await holds.setCategory(eventId, row);
        await publish({
          type: 'category.created',
          eventId,
          categoryId: row.id,
          at: now(),
          changes: { ...input },
        });
        return row;
      });
      await invalidate();
      return category;
    },

    async updateCategory(
      eventId: string,
      categoryId: string,
      patch: CategoryPatch,
      actor: Actor,
    ): Promise<CategoryRow> {
      const category = await change(async (tx, touch) => {
        // The event's lock first, as every change of the event takes it (and the resync).
        if (!(await findEvent(tx, eventId, { lock: true })))
          throw new CatalogRefusal('not_found', 'No such category in this event');
        const current = await findCategory(tx, eventId, categoryId, { lock: true });
        if (!current) throw new CatalogRefusal('not_found', 'No such category in this event');
        if (current.seatMap && patch.capacity !== undefined && patch.capacity !== current.capacity)
          throw new CatalogRefusal('seated_capacity', 'A seated category’s capacity is its seats');
        const row = await updateCategory(tx, categoryId, patch).catch((err) => {
          if (!isUniqueViolation(err)) throw err;
          throw new CatalogRefusal('name_taken', 'The event has a category of that name already');
        });
        await recordAudit(tx, {
          actorId: actor.actorId,
          action:
            patch.capacity !== undefined && patch.capacity !== current.capacity
              ? 'category.capacity_changed'
              : 'category.updated',
          targetType: 'ticket_category',
          targetId: categoryId,
          details: { eventId, changes: patch, previousCapacity: current.capacity },
          requestId: actor.requestId,
        });
        touch(eventId);
        // Redis checks capacity against held + sold atomically (HoldRefusal if below).
        await holds.setCategory(eventId, row);
        await publish({ type: 'category.updated', eventId, categoryId, at: now(), changes: patch });
        return row;
      });
      await invalidate();
      return category;
    },

    /**
     * Blocks and unblocks seats of a seated category (SPEC §8): Postgres keeps the blocked
     * set, Redis marks the seats; Redis refuses a held or sold seat (SeatsUnavailable), and
     * then nothing was changed anywhere (the resync of `change` sets the blocks back).
     */
    async changeSeatBlocks(
      eventId: string,
      categoryId: string,
      blocks: SeatBlocks,
      actor: Actor,
    ): Promise<{ version: number }> {
      return await change(async (tx, touch) => {
        await lockedEvent(tx, eventId);
        const current = await findCategory(tx, eventId, categoryId, { lock: true });
        if (!current) throw new CatalogRefusal('not_found', 'No such category in this event');
        if (!current.seatMap) throw new CatalogRefusal('not_seated', 'The category has no seats');
        const layout = layoutOf(current.id, current.seatMap);
        const { blocked, unknown, both } = blockedAfter(layout, current.blockedSeats, blocks);
        // Seats the map does not have are unavailable to block, as taken ones are: what the
        // map holds is stored state, not the body's shape.
        if (unknown.length > 0)
          throw new CatalogRefusal('unknown_seats', 'The map has no such seats', {
            unavailable: unknown,
          });
        if (both.length > 0)
          throw new CatalogRefusal('invalid_seats', 'Seats both blocked and unblocked', { both });
        await updateCategory(tx, categoryId, { blockedSeats: blocked });
        await recordAudit(tx, {
          actorId: actor.actorId,
          action: 'category.seats_blocked',
          targetType: 'ticket_category',
          targetId: categoryId,
          details: { eventId, ...blocks },
          requestId: actor.requestId,
        });
        touch(eventId);
        const version = await holds.blockSeats(eventId, categoryId, blocks);
        await publish({
          type: 'category.updated',
          eventId,
          categoryId,
          at: now(),
          changes: { ...blocks },
        });
        return { version };
      });
    },
  };
}

export type CatalogOperations = ReturnType<typeof catalogOperations>;
