// The AOF cut the fault suite uses for a machine crash, checked on a plain redis-server:
// after a SIGKILL, cutting the last incr file at its first `#TS:` annotation ≥ (newest − 1)
// loses exactly the writes of those last seconds, nothing older, and Redis loads the file.
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { cutLastSecondOfAof, type OwnRedis, startOwnRedis } from '../helpers/redis-server.js';
import { FAULTS_DIR } from './setup.js';

describe('cutting the last second of an AOF', () => {
  let redis: OwnRedis | undefined;
  afterAll(async () => {
    await redis?.stop();
    if (redis) await rm(redis.dir, { recursive: true, force: true });
  });

  it('loses the writes of the last second(s), keeps every older one, and loads', async () => {
    redis = await startOwnRedis(join(FAULTS_DIR, `aof-cut-check-${randomUUID().slice(0, 8)}`));
    const client = new Redis(redis.url, { maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on('error', () => {});
    // Acknowledged counter values with the (Redis) second each was acknowledged in.
    const acked: { value: number; second: number }[] = [];
    const until = Date.now() + 3300;
    while (Date.now() < until) {
      const [[, value], [, time]] = (await client.multi().incr('c').time().exec()) as [
        [null, number],
        [null, [string, string]],
      ];
      acked.push({ value, second: Number(time[0]) });
      await new Promise((r) => setTimeout(r, 1));
    }
    client.disconnect();
    await redis.kill();

    const cut = await cutLastSecondOfAof(redis.dir);
    expect(cut.bytesAfter).toBeLessThan(cut.bytesBefore);
    expect(cut.commandsCut).toBeGreaterThan(0);

    await redis.start();
    expect(redis.log()).toMatch(/DB loaded from append only file/);
    const reader = new Redis(redis.url);
    const value = Number(await reader.get('c'));
    reader.disconnect();

    const last = acked.at(-1)?.value ?? 0;
    const keptUpTo = Math.max(
      0,
      ...acked.filter((a) => a.second < cut.cutFromTs).map((a) => a.value),
    );
    const lostFrom = Math.min(
      ...acked.filter((a) => a.second >= cut.cutFromTs).map((a) => a.value),
    );
    // Everything acknowledged before second cutFromTs is there; nothing from it on is.
    expect(value).toBe(keptUpTo);
    expect(value).toBe(lostFrom - 1);
    expect(last - value).toBeGreaterThan(0);
    console.log(
      `[faults] AOF cut: ${last} acknowledged INCRs, ${value} after the cut ` +
        `(${cut.commandsCut} commands from second ${cut.cutFromTs}, newest ${cut.lastTs})`,
    );
  });
});
