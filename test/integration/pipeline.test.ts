// The durable pipeline against real Redis, Kafka and Postgres: outbox → relay → Kafka →
// persister/notifier → Postgres, and the faults it must survive (SPEC §3, invariant 4).
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kafkaNames } from '../../platform/kafka.js';
import type { RedisClient } from '../../platform/redis.js';
import { type Delivery, signWebhook, webhookChannel } from '../../worker/notifications.js';
import { buildTestApp } from '../helpers/app.js';
import { signedInUser } from '../helpers/auth.js';
import { adminToken, body, createDrop, type Json, send } from '../helpers/drop.js';
import { checkInvariants } from '../helpers/invariants.js';
import { ownBroker } from '../helpers/kafka-broker.js';
import { caughtUp, startConsumers, startRelay, testKafka } from '../helpers/pipeline.js';
import { runEntry, terminate } from '../helpers/processes.js';
import { deleteKeys, eventually, functionalConfig, testRedis } from '../helpers/services.js';

type TestApp = Awaited<ReturnType<typeof buildTestApp>>;
let ctx: TestApp;
let admin: string;
let redis: RedisClient;
const config = functionalConfig({ LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent' });
/** The log channel's stand-in: delivery always succeeds. */
const recordChannel = async (_n: Delivery) => {};

beforeAll(async () => {
  ctx = await buildTestApp(config);
  admin = await adminToken(ctx);
  redis = await testRedis();
});
afterAll(async () => {
  redis?.disconnect();
  await ctx?.close();
});

/** Holds and confirms `count` reservations of one ticket for `user`; returns their ids. */
async function buyTickets(
  app: TestApp['app'],
  token: string,
  drop: { eventId: string; categoryId: string },
  count: number,
) {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const held = await body(
      await send(app, 'POST', '/v1/reservations', token, { ...drop, quantity: 1 }),
    );
    const confirmed = await send(app, 'POST', `/v1/reservations/${held.id}/confirm`, token, {});
    if (confirmed.status !== 200)
      throw new Error(`confirm ${confirmed.status}: ${await confirmed.text()}`);
    ids.push(held.id as string);
  }
  return ids;
}

const rowsOf = (eventId: string) =>
  ctx.sql`select id, status, seq, quantity, created_at, confirmed_at, ended_at, updated_at
          from reservations where event_id = ${eventId} order by id`;

describe('outbox → Kafka → Postgres', () => {
  it('persists every step, serves the record with pages and filters, and a replay changes nothing', async () => {
    const relay = await startRelay(config, redis);
    let consumers = await startConsumers(config, ctx.sql, recordChannel);
    try {
      const drop = await createDrop(ctx.app, admin, { capacity: 100, perUserLimit: 50 });
      const user = await signedInUser(ctx.app);
      const started = Date.now();
      const ids = await buyTickets(ctx.app, user.accessToken, drop, 25);
      const released = ids.slice(0, 5);
      for (const id of released) {
        expect(
          (await send(ctx.app, 'DELETE', `/v1/reservations/${id}`, user.accessToken)).status,
        ).toBe(200);
      }

      const mine = async (query = '') =>
        body(await send(ctx.app, 'GET', `/v1/me/reservations${query}`, user.accessToken));
      await eventually(
        async () => ((await mine('?status=cancelled&limit=100')).items as unknown[]).length === 5,
        {
          timeoutMs: 10_000,
          what: 'the record caught up',
        },
      );
      console.log(
        `pipeline: 25 confirmations + 5 cancellations in Postgres ${Date.now() - started} ms after the first request`,
      );

      // Cursor pages visit each reservation once, newest first.
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const p: Json = await mine(`?limit=10${cursor ? `&cursor=${cursor}` : ''}`);
        seen.push(...(p.items as { id: string }[]).map((r) => r.id));
        cursor = p.nextCursor as string | null;
      } while (cursor);
      expect(seen).toHaveLength(25);
      expect(new Set(seen)).toEqual(new Set(ids));
      expect(seen).toEqual([...ids].reverse());
      expect(((await mine('?status=confirmed&limit=100')).items as unknown[]).length).toBe(20);
      const bad = await send(ctx.app, 'GET', '/v1/me/reservations?cursor=bogus', user.accessToken);
      expect(bad.status).toBe(400);

      const adminList = await body(
        await send(
          ctx.app,
          'GET',
          `/v1/admin/events/${drop.eventId}/reservations?status=cancelled`,
          admin,
        ),
      );
      expect((adminList.items as { id: string }[]).map((r) => r.id).sort()).toEqual(
        [...released].sort(),
      );
      expect(
        (
          await send(
            ctx.app,
            'GET',
            `/v1/admin/events/${drop.eventId}/reservations`,
            user.accessToken,
          )
        ).status,
      ).toBe(403);

      // One notification per confirmation and per cancellation, each delivered once.
      const notificationsOf = () =>
        ctx.sql`select kind, status, attempts, delivered_at from notifications where user_id = ${user.id} order by id`;
      await eventually(
        async () => (await notificationsOf()).filter((n) => n.status === 'sent').length === 30,
        {
          timeoutMs: 10_000,
          what: 'notifications delivered',
        },
      );
      const notes = await body(
        await send(ctx.app, 'GET', '/v1/me/notifications?limit=100', user.accessToken),
      );
      const kinds = (notes.items as { kind: string; status: string }[]).map((n) => n.kind);
      expect(kinds.filter((k) => k === 'reservation.confirmed')).toHaveLength(25);
      expect(kinds.filter((k) => k === 'reservation.cancelled')).toHaveLength(5);
      expect((await notificationsOf()).every((n) => n.attempts === 1)).toBe(true);

      // Replay the whole topic from offset 0 through both groups.
      await caughtUp(config);
      const before = await rowsOf(drop.eventId);
      expect(before.map((r) => `${r.status}/${r.seq}`).sort()).toEqual([
        ...Array(5).fill('cancelled/3'),
        ...Array(20).fill('confirmed/2'),
      ]);
      const notificationsBefore = await notificationsOf();
      await consumers.stop();
      const names = kafkaNames(config.KAFKA_TOPIC_PREFIX);
      const kafkaAdmin = testKafka(config.KAFKA_BROKERS).admin();
      await kafkaAdmin.connect();
      for (const group of [names.group('persister'), names.group('notifier')]) {
        await kafkaAdmin.resetOffsets({
          groupId: group,
          topic: names.reservations,
          earliest: true,
        });
      }
      await kafkaAdmin.disconnect();
      consumers = await startConsumers(config, ctx.sql, recordChannel);
      await caughtUp(config);
      expect(await rowsOf(drop.eventId)).toEqual(before);
      // Not one more notification, and none sent again.
      expect(await notificationsOf()).toEqual(notificationsBefore);

      // The record outlives Redis: once Redis forgets a hold, GET reads Postgres.
      const gone = released[0] as string;
      await redis.del(`${config.REDIS_KEY_PREFIX}hold-event:${gone}`);
      const fromRecord = await body(
        await send(ctx.app, 'GET', `/v1/reservations/${gone}`, user.accessToken),
      );
      expect(fromRecord).toMatchObject({ id: gone, status: 'cancelled' });
    } finally {
      await relay.stop();
      await consumers.stop();
    }
  });

  it('delivers a webhook once after its receiver failed three times, signed', async () => {
    const calls: { status: number; body: string; signature: string; timestamp: string }[] = [];
    const receiver = createServer((req: IncomingMessage, res) => {
      let raw = '';
      req.on('data', (d) => {
        raw += d;
      });
      req.on('end', () => {
        const status = calls.length < 3 ? 503 : 200;
        calls.push({
          status,
          body: raw,
          signature: String(req.headers['x-drop-signature']),
          timestamp: String(req.headers['x-drop-timestamp']),
        });
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    const secret = 'test-webhook-secret-123';
    const hooked = {
      ...config,
      NOTIFY_CHANNEL: 'webhook' as const,
      NOTIFY_RETRY_BASE_MS: 20,
      NOTIFY_MAX_ATTEMPTS: 6,
    };
    // Its own topic prefix: this file's other consumers must not take these messages.
    const isolated = {
      ...hooked,
      KAFKA_TOPIC_PREFIX: `${config.KAFKA_TOPIC_PREFIX}hook.`,
      REDIS_KEY_PREFIX: `${config.REDIS_KEY_PREFIX}hook:`,
    };
    const app = await buildTestApp(isolated);
    const relay = await startRelay(isolated, redis);
    const consumers = await startConsumers(isolated, ctx.sql, webhookChannel(url, secret));
    try {
      const drop = await createDrop(app.app, await adminToken(app), { capacity: 10 });
      const user = await signedInUser(app.app);
      const [id] = await buyTickets(app.app, user.accessToken, drop, 1);
      await eventually(async () => calls.some((c) => c.status === 200), {
        timeoutMs: 15_000,
        what: 'a delivery',
      });
      // Let any duplicate show up: every pending notification is delivered by now.
      await caughtUp(isolated);
      const [row] =
        await ctx.sql`select status, attempts from notifications where reservation_id = ${id as string}`;
      expect(row).toEqual({ status: 'sent', attempts: 4 });
      expect(calls.map((c) => c.status)).toEqual([503, 503, 503, 200]);
      const ok = calls[3] as (typeof calls)[number];
      expect(ok.signature).toBe(signWebhook(secret, ok.timestamp, ok.body));
      expect(JSON.parse(ok.body)).toMatchObject({
        userId: user.id,
        kind: 'reservation.confirmed',
        payload: { reservationId: id },
      });
    } finally {
      await relay.stop();
      await consumers.stop();
      await app.close();
      receiver.close();
    }
  });
  it('tells every holder once when an event moves, changes venue or is cancelled (catalog.v1)', async () => {
    const isolated = {
      ...config,
      KAFKA_TOPIC_PREFIX: `${config.KAFKA_TOPIC_PREFIX}cat.`,
      REDIS_KEY_PREFIX: `${config.REDIS_KEY_PREFIX}cat:`,
    };
    const app = await buildTestApp(isolated);
    const relay = await startRelay(isolated, redis);
    const consumers = await startConsumers(isolated, ctx.sql, recordChannel);
    try {
      const adminT = await adminToken(app);
      const drop = await createDrop(app.app, adminT, { capacity: 10 });
      const [holding, buying, leaving] = await Promise.all(
        [1, 2, 3].map(() => signedInUser(app.app)),
      );
      const reserve = async (token: string) =>
        body(await send(app.app, 'POST', '/v1/reservations', token, { ...drop, quantity: 1 }));
      await reserve(holding?.accessToken as string);
      await buyTickets(app.app, buying?.accessToken as string, drop, 1);
      const left = await reserve(leaving?.accessToken as string);
      await send(app.app, 'DELETE', `/v1/reservations/${left.id}`, leaving?.accessToken);
      await eventually(
        async () =>
          (await rowsOf(drop.eventId))
            .map((r) => r.status)
            .sort()
            .join() === 'confirmed,held,released',
        {
          timeoutMs: 10_000,
          what: 'the record has the holders',
        },
      );

      const patch = (b: Json) =>
        send(app.app, 'PATCH', `/v1/admin/events/${drop.eventId}`, adminT, b);
      expect((await patch({ name: 'Renamed' })).status).toBe(200);
      expect((await patch({ venue: 'Bigger Hall' })).status).toBe(200);
      expect(
        (await patch({ startsAt: new Date(Date.now() + 60 * 86_400_000).toISOString() })).status,
      ).toBe(200);
      expect((await patch({ status: 'cancelled' })).status).toBe(200);

      const notices = () =>
        ctx.sql`select user_id, kind from notifications where event_id = ${drop.eventId} and kind like 'event.%' order by kind, user_id`;
      await eventually(async () => (await notices()).length === 6, {
        timeoutMs: 15_000,
        what: 'six notices',
      });
      const rows = await notices();
      for (const kind of ['event.cancelled', 'event.rescheduled', 'event.venue_changed']) {
        expect(new Set(rows.filter((r) => r.kind === kind).map((r) => r.user_id))).toEqual(
          new Set([holding?.id, buying?.id]),
        );
      }
      expect(rows.some((r) => r.user_id === leaving?.id)).toBe(false);
      const audit =
        await ctx.sql`select action from audit_log where target_id = ${drop.eventId} order by created_at`;
      expect(audit.map((r) => r.action)).toEqual([
        'event.created',
        'event.updated',
        'event.updated',
        'event.updated',
        'event.status_changed',
      ]);
    } finally {
      await relay.stop();
      await consumers.stop();
      await app.close();
    }
  });
});

describe('faults', () => {
  it('Kafka down for 60 s while 1,000 confirmations are accepted: all reach Postgres, and each fan is told once', async () => {
    const broker = await ownBroker();
    await broker.start();
    const isolated = {
      ...config,
      KAFKA_TOPIC_PREFIX: `${config.KAFKA_TOPIC_PREFIX}down.`,
      REDIS_KEY_PREFIX: `${config.REDIS_KEY_PREFIX}down:`,
    };
    const app = await buildTestApp(isolated);
    const relay = await startRelay(isolated, redis, broker.brokers);
    // Every delivery, by reservation: a fan told twice shows up here.
    const told = new Map<string, number>();
    const countingChannel = async (n: Delivery) => {
      const id = String(n.payload.reservationId);
      told.set(id, (told.get(id) ?? 0) + 1);
    };
    const consumers = await startConsumers(isolated, ctx.sql, countingChannel, broker.brokers);
    try {
      const drop = await createDrop(app.app, await adminToken(app), {
        capacity: 1000,
        perUserLimit: 10,
      });
      const users = await Promise.all(Array.from({ length: 100 }, () => signedInUser(app.app)));

      const downSince = Date.now();
      await broker.stop();
      // HTTP never waits on Kafka: 1,000 holds and 1,000 confirmations accepted now.
      const ids = (
        await Promise.all(users.map((u) => buyTickets(app.app, u.accessToken, drop, 10)))
      ).flat();
      expect(ids).toHaveLength(1000);
      const outbox = `${isolated.REDIS_KEY_PREFIX}{ev:${drop.eventId}}:outbox`;
      expect(await redis.xlen(outbox)).toBe(2000);
      // The notifications came with the sales, not through Kafka: every fan is told while
      // the broker is still down.
      await eventually(async () => ids.every((id) => told.get(id) === 1), {
        timeoutMs: 30_000,
        what: '1,000 fans told while Kafka is down',
      });
      const downFor = Number(process.env.FAULT_KAFKA_DOWN_MS ?? 60_000);
      await new Promise((r) => setTimeout(r, Math.max(0, downFor - (Date.now() - downSince))));
      expect(await redis.xlen(outbox)).toBe(2000);

      const restart = Date.now();
      await broker.start();
      const up = Date.now();
      await eventually(async () => (await redis.xlen(outbox)) === 0, {
        timeoutMs: 60_000,
        what: 'the outbox drained',
      });
      const drained = Date.now();
      await eventually(
        async () => {
          const [r] =
            await ctx.sql`select count(*)::int as n from reservations where event_id = ${drop.eventId} and status = 'confirmed'`;
          return r?.n === 1000;
        },
        { timeoutMs: 60_000, intervalMs: 200, what: '1,000 confirmations in Postgres' },
      );
      console.log(
        `Kafka back: broker up in ${up - restart} ms, outbox drained ${drained - up} ms later, all 1,000 in Postgres ${Date.now() - drained} ms after that`,
      );
      const rows = await rowsOf(drop.eventId);
      expect(rows).toHaveLength(1000);
      expect(new Set(rows.map((r) => r.id))).toEqual(new Set(ids));
      expect(rows.every((r) => r.status === 'confirmed' && r.seq === 2 && r.confirmed_at)).toBe(
        true,
      );
      // Kafka's copy of each confirmation (the persister's, the notifier's) told nobody again.
      await caughtUp(isolated, broker.brokers, 60_000);
      const [stored] = await ctx.sql`select count(*)::int as n from notifications
        where event_id = ${drop.eventId} and kind = 'reservation.confirmed' and status = 'sent'`;
      expect(stored?.n).toBe(1000);
      expect(told.size).toBe(1000);
      expect([...told.values()].every((n) => n === 1)).toBe(true);
    } finally {
      await relay.stop();
      await consumers.stop();
      await app.close();
      await broker.stop();
    }
  }, 180_000);

  /**
   * 2,000 confirmations over `events` drops relayed to Kafka before any worker runs; then
   * `workers` workers in one group, one of them SIGKILLed once writing began; with
   * `restart`, a new worker takes its place, else the survivors take its partitions over.
   * Every row and notification must arrive exactly once.
   */
  async function killWorkerMidBatch(
    tag: string,
    opts: { events: number; workers: number; restart: boolean },
  ) {
    const isolated = {
      ...config,
      KAFKA_TOPIC_PREFIX: `${config.KAFKA_TOPIC_PREFIX}${tag}.`,
      REDIS_KEY_PREFIX: `${config.REDIS_KEY_PREFIX}${tag}:`,
    };
    const app = await buildTestApp(isolated);
    const admin = await adminToken(app);
    const drops = await Promise.all(
      Array.from({ length: opts.events }, () =>
        createDrop(app.app, admin, { capacity: 5000, perUserLimit: 50 }),
      ),
    );
    const eventIds = drops.map((d) => d.eventId);
    const users = await Promise.all(Array.from({ length: 40 }, () => signedInUser(app.app)));
    const ids = (
      await Promise.all(
        users.map((u, i) =>
          buyTickets(app.app, u.accessToken, drops[i % drops.length] as (typeof drops)[number], 50),
        ),
      )
    ).flat();
    expect(ids).toHaveLength(2000);
    // 4,000 steps in the outboxes, relayed to Kafka before any worker runs.
    const relay = await startRelay(isolated, redis);
    const env = {
      KAFKA_TOPIC_PREFIX: isolated.KAFKA_TOPIC_PREFIX,
      REDIS_KEY_PREFIX: isolated.REDIS_KEY_PREFIX,
      WORKER_METRICS_PORT: '0',
      // The killed member's partitions move to another after this long.
      KAFKA_SESSION_TIMEOUT_MS: '6000',
    };
    const workers: ReturnType<typeof runEntry>[] = [];
    // Confirmations are in Postgres before they are answered, each with its notification
    // (the api writes both in one statement); what only the worker does is send them.
    const notified = async () => {
      const [r] = await ctx.sql`select count(*)::int as n from notifications
        where event_id in ${ctx.sql(eventIds)} and status = 'sent'`;
      return r?.n as number;
    };
    const stored = async () => {
      const [r] = await ctx.sql`select count(*)::int as n from notifications
        where event_id in ${ctx.sql(eventIds)} and kind = 'reservation.confirmed'`;
      return r?.n as number;
    };
    expect(await stored()).toBe(2000);
    try {
      for (const d of drops)
        await eventually(
          async () =>
            (await redis.xlen(`${isolated.REDIS_KEY_PREFIX}{ev:${d.eventId}}:outbox`)) === 0,
          {
            timeoutMs: 30_000,
            what: 'relayed',
          },
        );
      for (let i = 0; i < opts.workers; i++) workers.push(runEntry('worker/main.ts', env));
      // Kill one once sending has begun, but not ended.
      await eventually(async () => (await notified()) > 0, {
        timeoutMs: 30_000,
        intervalMs: 5,
        what: 'the workers started sending',
      });
      const victim = workers[0] as (typeof workers)[number];
      victim.child.kill('SIGKILL');
      expect(await victim.exited).toBe('SIGKILL');
      const atKill = await notified();
      expect(atKill).toBeLessThan(2000);
      if (opts.restart) workers.push(runEntry('worker/main.ts', env));
      const alive = workers.slice(1);
      await eventually(async () => (await notified()) === 2000, {
        timeoutMs: 60_000,
        intervalMs: 100,
        what: 'all 2,000 notified',
      });
      await caughtUp(isolated, isolated.KAFKA_BROKERS, 60_000).catch((err) => {
        throw new Error(`${String(err)}\n--- worker ---\n${alive[0]?.output().slice(-3000)}`);
      });
      for (const w of alive) expect(await terminate(w)).toBe(0);
      const rows = (await Promise.all(eventIds.map((id) => rowsOf(id)))).flat();
      expect(rows).toHaveLength(2000);
      expect(rows.every((r) => r.status === 'confirmed' && r.seq === 2)).toBe(true);
      const [dupes] = await ctx.sql`
          select count(*)::int as n from (
            select reservation_id from notifications where event_id in ${ctx.sql(eventIds)}
            group by reservation_id, kind having count(*) > 1) d`;
      expect(dupes?.n).toBe(0);
      expect(await notified()).toBe(2000);
      expect(await stored()).toBe(2000);
      return atKill;
    } finally {
      for (const w of workers) w.child.kill('SIGKILL');
      await relay.stop();
      await app.close();
    }
  }

  it('a worker killed with SIGKILL mid-batch and restarted loses and duplicates nothing', async () => {
    const atKill = await killWorkerMidBatch('kill', { events: 1, workers: 1, restart: true });
    console.log(
      `worker killed after ${atKill} of 2,000 notifications; the restarted worker finished without loss or duplicates`,
    );
  }, 180_000);

  it('two workers share the partitions; one SIGKILLed mid-batch hands its partitions to the other with no loss or duplicate', async () => {
    // Four events: their keys spread over both partitions of the test topic.
    const atKill = await killWorkerMidBatch('handover', { events: 4, workers: 2, restart: false });
    console.log(
      `one of two workers killed after ${atKill} of 2,000 notifications; the other took its partitions over without loss or duplicates`,
    );
  }, 180_000);

  it('a relay killed with SIGKILL hands its outbox to another within 2 s', async () => {
    const isolated = {
      ...config,
      KAFKA_TOPIC_PREFIX: `${config.KAFKA_TOPIC_PREFIX}fo.`,
      REDIS_KEY_PREFIX: `${config.REDIS_KEY_PREFIX}fo:`,
    };
    const app = await buildTestApp(isolated);
    const env = {
      KAFKA_TOPIC_PREFIX: isolated.KAFKA_TOPIC_PREFIX,
      REDIS_KEY_PREFIX: isolated.REDIS_KEY_PREFIX,
    };
    const reapers = [runEntry('reaper/main.ts', env), runEntry('reaper/main.ts', env)];
    try {
      const drop = await createDrop(app.app, await adminToken(app), { capacity: 10 });
      const user = await signedInUser(app.app);
      const tag = `${isolated.REDIS_KEY_PREFIX}{ev:${drop.eventId}}`;
      const reserve = () =>
        send(app.app, 'POST', '/v1/reservations', user.accessToken, { ...drop, quantity: 1 });
      const relayed = () =>
        eventually(async () => (await redis.xlen(`${tag}:outbox`)) === 0, {
          timeoutMs: 30_000,
          intervalMs: 20,
          what: 'the outbox relayed',
        });
      expect((await reserve()).status).toBe(201);
      await relayed();
      // The lease names its owner: host:pid:nonce.
      const owner = (await redis.get(`${tag}:outbox:lease`)) ?? '';
      const dying = reapers.find((r) => owner.split(':')[1] === String(r.child.pid));
      expect(dying).toBeDefined();
      dying?.child.kill('SIGKILL');
      expect(await dying?.exited).toBe('SIGKILL');
      const killedAt = Date.now();
      expect((await reserve()).status).toBe(201);
      await relayed();
      const failoverMs = Date.now() - killedAt;
      console.log(`relay failover: the change left the outbox ${failoverMs} ms after the kill`);
      expect(failoverMs).toBeLessThan(2000);
    } finally {
      for (const r of reapers) r.child.kill('SIGKILL');
      await app.close();
    }
  }, 120_000);

  it('Redis flushed mid-drop, then rebuilt from Postgres: sales resume with no oversell', async () => {
    const isolated = {
      ...config,
      KAFKA_TOPIC_PREFIX: `${config.KAFKA_TOPIC_PREFIX}rb.`,
      REDIS_KEY_PREFIX: `${config.REDIS_KEY_PREFIX}rb:`,
    };
    const app = await buildTestApp(isolated);
    const relay = await startRelay(isolated, redis);
    const consumers = await startConsumers(isolated, ctx.sql, recordChannel);
    try {
      const adminT = await adminToken(app);
      const drop = await createDrop(app.app, adminT, { capacity: 100, perUserLimit: 10 });
      const users = await Promise.all(Array.from({ length: 20 }, () => signedInUser(app.app)));
      const holds: { id: string; token: string }[] = [];
      for (const u of users) {
        for (let i = 0; i < 3; i++) {
          const r = await body(
            await send(app.app, 'POST', '/v1/reservations', u.accessToken, {
              ...drop,
              quantity: 1,
            }),
          );
          holds.push({ id: r.id as string, token: u.accessToken });
        }
      }
      for (const h of holds.slice(0, 30)) {
        expect(
          (await send(app.app, 'POST', `/v1/reservations/${h.id}/confirm`, h.token, {})).status,
        ).toBe(200);
      }
      await eventually(
        async () =>
          (await rowsOf(drop.eventId)).filter((r) => r.status === 'confirmed').length === 30,
        { timeoutMs: 15_000, what: 'the record has the drop' },
      );

      // Redis loses everything of this engine.
      await deleteKeys(redis, `${isolated.REDIS_KEY_PREFIX}*`);
      const lost = await send(app.app, 'POST', '/v1/reservations', users[0]?.accessToken, {
        ...drop,
        quantity: 1,
      });
      // The catalog has the event on sale, Redis has nothing: not "no such event", but
      // "retry shortly" until the stock is restored.
      expect(lost.status).toBe(503);
      expect((await body(lost)).code).toBe('dependency_unavailable');

      const rebuilt = await send(
        app.app,
        'POST',
        `/v1/admin/events/${drop.eventId}/rebuild`,
        adminT,
      );
      expect(rebuilt.status).toBe(200);
      expect(await body(rebuilt)).toMatchObject({
        eventId: drop.eventId,
        outcome: 'reconciled',
        restoredHolds: 60,
        evictedHolds: 0,
        categories: [
          { id: drop.categoryId, capacity: 100, held: 30, confirmed: 30, available: 40 },
        ],
      });
      // Again: Redis now has everything the record knows; nothing to merge.
      const again = await send(app.app, 'POST', `/v1/admin/events/${drop.eventId}/rebuild`, adminT);
      expect(again.status).toBe(200);
      expect(await body(again)).toMatchObject({ outcome: 'verified', restoredHolds: 0 });

      // A restored hold is a hold: its owner can still confirm it.
      const restored = holds[45] as { id: string; token: string };
      expect(
        (
          await body(
            await send(
              app.app,
              'POST',
              `/v1/reservations/${restored.id}/confirm`,
              restored.token,
              {},
            ),
          )
        ).status,
      ).toBe('confirmed');

      // The rush after the rebuild: 40 seats left, 300 attempts from 30 new users.
      const rush = await Promise.all(Array.from({ length: 30 }, () => signedInUser(app.app)));
      const answers = await Promise.all(
        Array.from({ length: 300 }, (_, i) =>
          send(app.app, 'POST', '/v1/reservations', rush[i % 30]?.accessToken, {
            ...drop,
            quantity: 1,
          }),
        ),
      );
      expect(answers.filter((r) => r.status === 201)).toHaveLength(40);
      const counts = await checkInvariants(redis, drop.eventId, isolated.REDIS_KEY_PREFIX);
      expect(counts[drop.categoryId]).toEqual({
        capacity: 100,
        held: 29 + 40,
        confirmed: 31,
        available: 0,
      });
    } finally {
      await relay.stop();
      await consumers.stop();
      await app.close();
    }
  }, 120_000);
});
