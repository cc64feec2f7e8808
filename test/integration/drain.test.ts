// Graceful drain of the real processes on SIGTERM. The api under keep-alive load: readiness
// fails at once, requests already on a connection are answered (with Connection: close),
// new connections are refused, nothing is reset, every acknowledged hold is in Redis and
// nothing was held that the client was not told about; the process exits well inside its
// force timer. The worker commits what it wrote; the reaper gives its outbox leases back.
import { randomUUID } from 'node:crypto';
import { Agent, request } from 'node:http';
import { afterAll, describe, expect, it } from 'vitest';
import { keyspace } from '../../core/reservations/keys.js';
import { kafkaNames } from '../../platform/kafka.js';
import type { RedisClient } from '../../platform/redis.js';
import { buildTestApp } from '../helpers/app.js';
import { signedInUser } from '../helpers/auth.js';
import { adminToken, createDrop, send } from '../helpers/drop.js';
import { startRelay, testKafka } from '../helpers/pipeline.js';
import { type RunningProcess, runEntry, terminate } from '../helpers/processes.js';
import {
  eventually,
  freePort,
  functionalConfig,
  REDIS_KEY_PREFIX,
  testRedis,
} from '../helpers/services.js';

const started: RunningProcess[] = [];
let redis: RedisClient | undefined;
afterAll(() => {
  for (const p of started) p.child.kill('SIGKILL');
  redis?.disconnect();
});

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One HTTP/1.1 request through `agent` (keep-alive), with Node's own errors kept. */
function call(
  agent: Agent,
  port: number,
  method: string,
  path: string,
  token?: string,
  body?: unknown,
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      {
        agent,
        host: '127.0.0.1',
        port,
        method,
        path,
        headers: {
          ...(token ? { Authorization: `Bearer ${token}` } : {}),
          ...(payload ? { 'Content-Type': 'application/json' } : {}),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d) => {
          text += d;
        });
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

const json = (r: Reply) => JSON.parse(r.body) as Record<string, unknown>;

describe('api drain on SIGTERM', () => {
  it('answers everything in flight, resets nothing, loses nothing, exits fast', async () => {
    const [port, opsPort] = await Promise.all([freePort(), freePort()]);
    const adminEmail = `drain-${randomUUID()}@example.test`;
    const api = runEntry('api/main.ts', {
      PORT: String(port),
      API_METRICS_PORT: String(opsPort),
      ADMIN_EMAIL: adminEmail,
      ADMIN_PASSWORD: 'drain admin password',
      BCRYPT_COST: '4',
      RATE_LIMIT_PER_IP: '0',
      RATE_LIMIT_PER_USER: '0',
      SHED_MAX_IN_FLIGHT: '0',
      SHED_MAX_EVENT_LOOP_DELAY_MS: '0',
      SHUTDOWN_TIMEOUT_MS: '10000',
      // Confirms take 1.5 s: one of them holds the drain open long enough to look at it.
      PAYMENT_DELAY_MS: '1500',
    });
    started.push(api);
    await eventually(async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).ok, {
      timeoutMs: 60_000,
      intervalMs: 100,
      what: 'api ready',
    }).catch((err) => {
      throw new Error(`${String(err)}\n${api.output()}`);
    });

    const setup = new Agent({ keepAlive: false });
    const adminToken = json(
      await call(setup, port, 'POST', '/v1/auth/login', undefined, {
        email: adminEmail,
        password: 'drain admin password',
      }),
    ).accessToken as string;
    const event = json(
      await call(setup, port, 'POST', '/v1/admin/events', adminToken, {
        name: 'Drain Drop',
        venue: 'Hall',
        startsAt: new Date(Date.now() + 86_400_000).toISOString(),
        status: 'on_sale',
        perUserLimit: 1000,
      }),
    );
    const category = json(
      await call(setup, port, 'POST', `/v1/admin/events/${event.id}/categories`, adminToken, {
        name: 'GA',
        priceCents: 100,
        capacity: 100_000,
      }),
    );
    const users = await Promise.all(
      Array.from({ length: 6 }, async (_, i) => {
        const email = `drain-fan-${i}-${randomUUID()}@example.test`;
        await call(setup, port, 'POST', '/v1/auth/register', undefined, {
          email,
          password: 'drain fan password',
        });
        return json(
          await call(setup, port, 'POST', '/v1/auth/login', undefined, {
            email,
            password: 'drain fan password',
          }),
        ).accessToken as string;
      }),
    );
    const drop = { eventId: event.id, categoryId: category.id, quantity: 1 };

    // The slow one: a confirm in flight when SIGTERM comes.
    const [slowToken] = users as [string, ...string[]];
    const slowAgent = new Agent({ keepAlive: true, maxSockets: 1 });
    const hold = json(await call(slowAgent, port, 'POST', '/v1/reservations', slowToken, drop));
    let acknowledged = 1;

    // Keep-alive load: 5 clients reserving back to back until the server refuses them.
    const agent = new Agent({ keepAlive: true, maxSockets: 5 });
    const failures: string[] = [];
    let refused = 0;
    let closeHeaders = 0;
    const loops = users.slice(1).map(async (token) => {
      for (;;) {
        try {
          const res = await call(agent, port, 'POST', '/v1/reservations', token, drop);
          if (res.status === 201) acknowledged += 1;
          else failures.push(`status ${res.status}: ${res.body}`);
          if (res.headers.connection === 'close') closeHeaders += 1;
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          // A refused connection was never accepted: nothing was sent, nothing is lost.
          if (code === 'ECONNREFUSED') {
            refused += 1;
            return;
          }
          failures.push(`${code ?? ''} ${String(err)}`);
          return;
        }
      }
    });
    await eventually(async () => acknowledged > 100, {
      timeoutMs: 20_000,
      what: 'load running',
    }).catch((err) => {
      throw new Error(`${String(err)}: ${failures.slice(0, 3).join('; ')}\n${api.output()}`);
    });

    const slow = call(
      slowAgent,
      port,
      'POST',
      `/v1/reservations/${hold.id}/confirm`,
      slowToken,
      {},
    );
    await new Promise((r) => setTimeout(r, 200));
    const sent = performance.now();
    api.child.kill('SIGTERM');

    // Readiness fails at once, while the confirm is still in flight.
    await eventually(
      async () => (await fetch(`http://127.0.0.1:${opsPort}/readyz`)).status === 503,
      { timeoutMs: 1000, intervalMs: 20, what: 'readiness 503 after SIGTERM' },
    );
    expect(performance.now() - sent).toBeLessThan(1000);
    const confirmed = await slow;
    expect(confirmed.status).toBe(200);
    expect(json(confirmed).status).toBe('confirmed');
    expect(confirmed.headers.connection).toBe('close');

    expect(await api.exited).toBe(0);
    const tookMs = performance.now() - sent;
    await Promise.all(loops);
    expect(failures).toEqual([]);
    expect(refused).toBe(5);
    expect(closeHeaders).toBeGreaterThan(0);
    // Well inside the 10 s force timer: the confirm's 1.5 s and the closes after it.
    expect(tookMs).toBeLessThan(5000);
    expect(api.output()).not.toContain('graceful shutdown timed out');

    // Every hold acknowledged is in Redis, and no hold was made without an answer.
    redis = await testRedis();
    const keys = keyspace(REDIS_KEY_PREFIX).event(event.id as string);
    const stock = await redis.hmget(keys.category(category.id as string), 'held', 'confirmed');
    expect(Number(stock[0]) + Number(stock[1])).toBe(acknowledged);
    expect(Number(stock[1])).toBe(1);
    setup.destroy();
    agent.destroy();
    slowAgent.destroy();
  }, 120_000);
});

describe('worker drain on SIGTERM', () => {
  it('commits every batch it wrote to Postgres before it exits', async () => {
    // A namespace of its own: every message on its topic is one of this test's holds.
    const ns = `wd${randomUUID().slice(0, 8)}`;
    const own = { REDIS_KEY_PREFIX: `${ns}:`, KAFKA_TOPIC_PREFIX: `${ns}.` };
    const config = functionalConfig(own);
    const ctx = await buildTestApp(config);
    redis ??= await testRedis();
    const relay = await startRelay(config, redis);
    const kafkaAdmin = testKafka(config.KAFKA_BROKERS, 'drain-probe').admin();
    await kafkaAdmin.connect();
    try {
      const admin = await adminToken(ctx);
      const drop = await createDrop(ctx.app, admin, { capacity: 1000, perUserLimit: 1000 });
      const user = await signedInUser(ctx.app);
      const worker = runEntry('worker/main.ts', {
        ...own,
        WORKER_METRICS_PORT: String(await freePort()),
      });
      started.push(worker);
      const rows = async () =>
        Number(
          (
            await ctx.sql`select count(*)::int as n from reservations where event_id = ${drop.eventId}`
          )[0]?.n,
        );
      // Holds keep coming while the worker is stopped mid-stream.
      let holding = true;
      const load = (async () => {
        while (holding) {
          const res = await send(ctx.app, 'POST', '/v1/reservations', user.accessToken, {
            ...drop,
            quantity: 1,
          });
          if (res.status !== 201) throw new Error(`reserve ${res.status}: ${await res.text()}`);
        }
      })();
      await eventually(async () => (await rows()) >= 30, {
        timeoutMs: 60_000,
        intervalMs: 50,
        what: 'the worker persisting',
      }).catch((err) => {
        throw new Error(`${String(err)}\n${worker.output()}`);
      });
      expect(await terminate(worker, 20_000)).toBe(0);
      holding = false;
      await load;

      // Each hold is one message: what the persister committed is exactly what it wrote.
      const names = kafkaNames(config.KAFKA_TOPIC_PREFIX);
      const [committed] = await kafkaAdmin.fetchOffsets({
        groupId: names.group('persister'),
        topics: [names.reservations],
      });
      const total = (committed?.partitions ?? []).reduce(
        (sum, p) => sum + Math.max(0, Number(p.offset)),
        0,
      );
      expect(total).toBe(await rows());
      expect(worker.output()).toContain('"msg":"stopped"');
    } finally {
      await kafkaAdmin.disconnect();
      await relay.stop();
      await ctx.close();
    }
  }, 120_000);
});

describe('reaper drain on SIGTERM', () => {
  it('gives back the outbox leases it holds', async () => {
    redis ??= await testRedis();
    const keys = keyspace(REDIS_KEY_PREFIX);
    const eventId = randomUUID();
    // A live event with an outbox entry: the relay takes its lease to publish it.
    await redis.sadd(keys.liveEvents, eventId);
    await redis.xadd(keys.event(eventId).outbox, '*', 'noop', '1');
    // A topic namespace of its own: the entry above is no reservation for the worker test.
    const reaper = runEntry('reaper/main.ts', {
      REAPER_METRICS_PORT: String(await freePort()),
      KAFKA_TOPIC_PREFIX: `lease-${randomUUID().slice(0, 8)}.`,
    });
    started.push(reaper);
    const lease = keys.event(eventId).outboxLease;
    await eventually(async () => (await redis?.exists(lease)) === 1, {
      timeoutMs: 60_000,
      intervalMs: 50,
      what: 'the relay holds the lease',
    }).catch((err) => {
      throw new Error(`${String(err)}\n${reaper.output()}`);
    });
    expect(await terminate(reaper)).toBe(0);
    expect(await redis.exists(lease)).toBe(0);
    expect(await redis.exists(keys.catalogOutboxLease)).toBe(0);
    await redis.srem(keys.liveEvents, eventId);
    await redis.del(keys.event(eventId).outbox);
  }, 90_000);
});
