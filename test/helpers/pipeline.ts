// The durable pipeline in-process, as api and worker run it: the outbox relay, and the
// persister and notifier consumer groups, on this test file's topics; and what the
// pipeline-*.test.ts files buy and read back through it.

import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { expect } from 'vitest';
import { keyspace } from '../../core/reservations/keys.js';
import type { Config } from '../../platform/config.js';
import type { Sql } from '../../platform/db/client.js';
import { ensureTopics, kafkaNames } from '../../platform/kafka.js';
import { consumerLag } from '../../platform/kafka-lag.js';
import { createLogger } from '../../platform/logger.js';
import { createRegistry } from '../../platform/metrics.js';
import type { RedisClient } from '../../platform/redis.js';
import { createRelay } from '../../reaper/relay.js';
import type { Channel, Delivery } from '../../worker/notifications.js';
import { createNotifier } from '../../worker/notifier.js';
import { createPersister } from '../../worker/persister.js';
import { buildTestApp, ctx, redis, type TestApp, useTestApp } from './app.js';
import { signedInUser } from './auth.js';
import { adminToken, body, createDrop, send } from './drop.js';
import { runEntry, terminate } from './processes.js';
import { eventually, functionalConfig } from './services.js';

export function testKafka(brokers: string, clientId = 'pipeline-test') {
  return new Kafka({
    clientId,
    brokers: brokers.split(','),
    logLevel: logLevel.NOTHING,
    retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 1000 },
  });
}

export async function startRelay(
  config: Config,
  redis: RedisClient,
  brokers = config.KAFKA_BROKERS,
) {
  const kafka = testKafka(brokers, 'relay-test');
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopics(admin, config);
  await admin.disconnect();
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
    retry: { retries: 2, maxRetryTime: 1000 },
  });
  await producer.connect();
  const registry = createRegistry('api');
  const relay = createRelay(
    redis,
    keyspace(config.REDIS_KEY_PREFIX),
    producer,
    createLogger(config, 'relay-test'),
    registry,
    {
      topic: kafkaNames(config.KAFKA_TOPIC_PREFIX).reservations,
      catalogTopic: kafkaNames(config.KAFKA_TOPIC_PREFIX).catalog,
      intervalMs: 20,
    },
  );
  relay.start();
  return {
    relay,
    registry,
    stop: async () => {
      await relay.stop();
      await producer.disconnect();
    },
  };
}

export async function startConsumers(
  config: Config,
  sql: Sql,
  channel: Channel,
  brokers = config.KAFKA_BROKERS,
) {
  const kafka = testKafka(brokers, 'worker-test');
  const names = kafkaNames(config.KAFKA_TOPIC_PREFIX);
  const logger = createLogger(config, 'worker-test');
  const registry = createRegistry('worker');
  const persister = createPersister(kafka, sql, logger, registry, {
    topic: names.reservations,
    groupId: names.group('persister'),
    sessionTimeoutMs: config.KAFKA_SESSION_TIMEOUT_MS,
    namespace: config.REDIS_KEY_PREFIX,
    notifyChannel: config.NOTIFY_CHANNEL,
  });
  const notifier = createNotifier(kafka, sql, logger, registry, {
    topic: names.reservations,
    groupId: names.group('notifier'),
    catalogTopic: names.catalog,
    sessionTimeoutMs: config.KAFKA_SESSION_TIMEOUT_MS,
    channel,
    channelName: config.NOTIFY_CHANNEL,
    namespace: config.REDIS_KEY_PREFIX,
    maxAttempts: config.NOTIFY_MAX_ATTEMPTS,
    retryBaseMs: config.NOTIFY_RETRY_BASE_MS,
    pollMs: 20,
  });
  await Promise.all([persister.start(), notifier.start()]);
  return {
    registry,
    stop: () => Promise.all([persister.stop(), notifier.stop()]),
  };
}

/** Waits until both consumer groups have committed everything the topic holds. */
export async function caughtUp(config: Config, brokers = config.KAFKA_BROKERS, timeoutMs = 30_000) {
  const names = kafkaNames(config.KAFKA_TOPIC_PREFIX);
  const admin = testKafka(brokers, 'lag-probe').admin();
  await admin.connect();
  try {
    await eventually(
      async () => {
        for (const group of [names.group('persister'), names.group('notifier')]) {
          if ((await consumerLag(admin, names.reservations, group)) > 0) return false;
        }
        return true;
      },
      { timeoutMs, intervalMs: 100, what: 'the consumer groups caught up' },
    );
  } finally {
    await admin.disconnect();
  }
}

/** The pipeline-*.test.ts files' app (useTestApp); returns its config, their pipeline's too. */
export function usePipelineApp(): Config {
  const config = functionalConfig({ LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent' });
  useTestApp(config);
  return config;
}

/** The log channel's stand-in: delivery always succeeds. */
export const recordChannel = async (_n: Delivery) => {};

/**
 * `config` on topics and keys of its own, `tag` after the file's prefixes: this file's
 * other consumers must not take its messages, nor its relays its outboxes.
 */
export const isolatedConfig = (config: Config, tag: string): Config => ({
  ...config,
  KAFKA_TOPIC_PREFIX: `${config.KAFKA_TOPIC_PREFIX}${tag}.`,
  REDIS_KEY_PREFIX: `${config.REDIS_KEY_PREFIX}${tag}:`,
});

/** Holds and confirms `count` reservations of one ticket for `user`; returns their ids. */
export async function buyTickets(
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

export const rowsOf = (eventId: string) =>
  ctx.sql`select id, status, seq, quantity, created_at, confirmed_at, ended_at, updated_at
          from reservations where event_id = ${eventId} order by id`;

/**
 * 2,000 confirmations over `events` drops relayed to Kafka before any worker runs; then
 * `workers` workers in one group, one of them SIGKILLed once writing began; with
 * `restart`, a new worker takes its place, else the survivors take its partitions over.
 * Every row and notification must arrive exactly once.
 */
export async function killWorkerMidBatch(
  config: Config,
  tag: string,
  opts: { events: number; workers: number; restart: boolean },
) {
  const isolated = isolatedConfig(config, tag);
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
