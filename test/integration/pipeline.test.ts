// The durable pipeline against real Redis, Kafka and Postgres: outbox → relay → Kafka →
// persister/notifier → Postgres, and the faults it must survive (SPEC §3, invariant 4).
// Every test here that delivers notifications does it on the log channel, and a delivery
// loop sends any due notification of its channel, whoever stored it: they stay in this one
// file, one after another, so that no test's loop sends another's (the Kafka outage counts
// its own deliveries, a worker kill the notifications sent before it). The webhook and the
// relay's failover run no such loop: pipeline-webhook-relay.test.ts.
import { describe, expect, it } from 'vitest';
import { kafkaNames } from '../../platform/kafka.js';
import type { Delivery } from '../../worker/notifications.js';
import { admin, buildTestApp, ctx, redis } from '../helpers/app.js';
import { signedInUser } from '../helpers/auth.js';
import { adminToken, body, createDrop, type Json, send } from '../helpers/drop.js';
import { checkInvariants } from '../helpers/invariants.js';
import { ownBroker } from '../helpers/kafka-broker.js';
import {
  buyTickets,
  caughtUp,
  isolatedConfig,
  killWorkerMidBatch,
  recordChannel,
  rowsOf,
  startConsumers,
  startRelay,
  testKafka,
  usePipelineApp,
} from '../helpers/pipeline.js';
import { deleteKeys, eventually } from '../helpers/services.js';

const config = usePipelineApp();

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

  it('tells every holder once when an event moves, changes venue or is cancelled (catalog.v1)', async () => {
    const isolated = isolatedConfig(config, 'cat');
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
    const isolated = isolatedConfig(config, 'down');
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

  it('a worker killed with SIGKILL mid-batch and restarted loses and duplicates nothing', async () => {
    const atKill = await killWorkerMidBatch(config, 'kill', {
      events: 1,
      workers: 1,
      restart: true,
    });
    console.log(
      `worker killed after ${atKill} of 2,000 notifications; the restarted worker finished without loss or duplicates`,
    );
  }, 180_000);

  it('two workers share the partitions; one SIGKILLed mid-batch hands its partitions to the other with no loss or duplicate', async () => {
    // Four events: their keys spread over both partitions of the test topic.
    const atKill = await killWorkerMidBatch(config, 'handover', {
      events: 4,
      workers: 2,
      restart: false,
    });
    console.log(
      `one of two workers killed after ${atKill} of 2,000 notifications; the other took its partitions over without loss or duplicates`,
    );
  }, 180_000);

  it('Redis flushed mid-drop, then rebuilt from Postgres: sales resume with no oversell', async () => {
    const isolated = isolatedConfig(config, 'rb');
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
