// After Redis lost data: the fence that stops an event's holds from changing until it is
// verified against the durable record, and the steps that put holds and counts back as
// the record says (lua/includes/fence.lua, reaper/verifier.ts, core/records/rebuild.ts).
import type { RedisClient } from '../../platform/redis.js';
import { check, type Hold } from './hold.js';
import type { Keyspace } from './keys.js';
import type { RunScript } from './scripts.js';

export function createRecovery(
  redis: RedisClient,
  keys: Keyspace,
  run: RunScript,
  rules: { retentionMs: number },
) {
  const eventKeys = keys.event;

  return {
    /**
     * Puts a hold back as the durable record says it is, after a data loss (the event is
     * fenced); `evict` ends it as expired instead (it did not fit in the capacity). False
     * when Redis already has it at that step or later.
     */
    async restore(
      hold: Hold,
      options: { evict?: boolean; seatPositions?: string } = {},
    ): Promise<boolean> {
      const k = eventKeys(hold.eventId);
      const reply = check(
        await run(
          'restoreHold',
          [k.hold(hold.id), k.expiry, k.outbox, k.event],
          [
            hold.id,
            hold.eventId,
            hold.categoryId,
            hold.userId,
            hold.quantity,
            hold.status,
            hold.expiresAt,
            hold.createdAt,
            hold.confirmedAt ?? '',
            hold.endedAt ?? '',
            hold.seq,
            rules.retentionMs,
            options.evict ? '1' : '',
            hold.seats?.join(',') ?? '',
            options.seatPositions ?? '',
          ],
        ),
      );
      return Number(reply[0]) === 1;
    },

    /** A category's counts and its holders' totals, recomputed after a data loss. */
    async setCounts(
      eventId: string,
      categoryId: string,
      counts: { held: number; confirmed: number },
      holders: { userId: string; total: number; inCategory: number }[],
    ): Promise<void> {
      const k = eventKeys(eventId);
      check(
        await run(
          'setCounts',
          [k.category(categoryId), k.event],
          [
            categoryId,
            counts.held,
            counts.confirmed,
            k.base,
            ...holders.flatMap((u) => [u.userId, u.total, u.inCategory]),
          ],
        ),
      );
    },

    /**
     * The event's fence, and the boot of the Redis node that holds it (LASTSAVE, set when
     * Redis starts, and its run_id): what a verification of the event is made against.
     */
    async fence(eventId: string) {
      const [boot, verifiedBoot, changeSeq, status, verifiedRun, runId] = (
        await run('eventFence', [eventKeys(eventId).event], ['1'])
      ).map(String) as [string, string, string, string, string, string];
      return {
        /** the boot to verify against */
        at: { boot, runId },
        exists: status !== '',
        verified: verifiedBoot === boot && status !== 'rebuilding',
        /** the Redis run_id the event was last verified on */
        verifiedRun,
        changeSeq: Number(changeSeq),
      };
    },

    /** Whether each event is verified for the boot of the Redis node that holds it. */
    async fences(eventIds: string[]): Promise<{ verified: boolean }[]> {
      // One script per event: on a cluster the events live on different nodes.
      return Promise.all(
        eventIds.map(async (id) => {
          const [boot, verifiedBoot, , status] = (
            await run('eventFence', [eventKeys(id).event], ['0'])
          ).map(String);
          return { verified: verifiedBoot === boot && status !== 'rebuilding' };
        }),
      );
    },

    /**
     * The event is complete against the durable record (which holds changes up to
     * `changeSeq`) on Redis boot `boot`: its holds may change again. False when Redis
     * booted again meanwhile.
     */
    async markVerified(
      eventId: string,
      changeSeq: number,
      at: { boot: string; runId: string },
    ): Promise<boolean> {
      const reply = check(
        await run('markVerified', [eventKeys(eventId).event], [changeSeq, at.boot, at.runId]),
      );
      return Number(reply[0]) === 1;
    },

    /** Fences the event until it is verified again (an operator's rebuild). */
    async unverify(eventId: string): Promise<void> {
      await redis.hdel(eventKeys(eventId).event, 'verifiedBoot');
    },

    /**
     * Which boots the Redis nodes are on (LASTSAVE and run_id of each master, or of the one
     * node): changes when any node restarts (or snapshots), so the verifier then walks
     * every event the record says this engine's Redis held.
     */
    async boots(): Promise<string> {
      const nodes = 'nodes' in redis ? redis.nodes('master') : [redis];
      const each = await Promise.all(
        nodes.map(async (node) => {
          const [lastsave, info] = await Promise.all([node.lastsave(), node.info('server')]);
          return `${/run_id:(\w+)/.exec(info)?.[1] ?? '?'}@${lastsave}`;
        }),
      );
      return each.sort().join(',');
    },
  };
}

export type Recovery = ReturnType<typeof createRecovery>;
