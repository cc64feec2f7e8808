// The end of a perf:http run: everything Redis decided reaches Postgres through the
// reaper's relay and the worker, within BENCH_DRAIN_SECONDS.
import type { Redis } from 'ioredis';
import postgres from 'postgres';
import { eventKeys } from '../../core/reservations/keys.js';
import type { Config } from '../../platform/config.js';
import { DRAIN_SECONDS } from './settings.js';

/**
 * Waits until the event's outbox is empty and Postgres has a row for every hold Redis
 * has (held or confirmed: nothing ends during a run) and every confirmation.
 */
export async function drainedToPostgres(
  redis: Redis,
  config: Config,
  eventId: string,
  categoryId: string,
  after: string,
): Promise<{ line: string } | { failure: string }> {
  const started = Date.now();
  const deadline = started + DRAIN_SECONDS * 1000;
  const keys = eventKeys(eventId, config.REDIS_KEY_PREFIX);
  const [held, confirmed] = (await redis.hmget(keys.category(categoryId), 'held', 'confirmed')).map(
    Number,
  ) as [number, number];
  const sql = postgres(config.DATABASE_URL, { max: 1, onnotice: () => {} });
  let last = { outbox: -1, rows: -1, confirmed: -1 };
  try {
    for (;;) {
      const [row] = await sql<{ rows: number; confirmed: number }[]>`
        select count(*)::int as rows,
               (count(*) filter (where status = 'confirmed'))::int as confirmed
        from reservations where event_id = ${eventId}::uuid`;
      last = {
        outbox: await redis.xlen(keys.outbox),
        rows: row?.rows ?? 0,
        confirmed: row?.confirmed ?? 0,
      };
      if (last.outbox === 0 && last.rows === held + confirmed && last.confirmed === confirmed) {
        const seconds = ((Date.now() - started) / 1000).toFixed(1);
        return {
          line: `the outbox drained and Postgres has all ${held + confirmed} holds (${confirmed} confirmed) ${seconds} s after the ${after}`,
        };
      }
      if (Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    return {
      failure: `after ${DRAIN_SECONDS} s: ${last.outbox} outbox entries left, ${last.rows} rows in Postgres for ${held + confirmed} holds in Redis, ${last.confirmed} confirmed of ${confirmed}`,
    };
  } finally {
    await sql.end({ timeout: 5 });
  }
}
