// The durable pipeline's CPU per change during a surge: CHANGES outbox entries (holds, and
// confirmations of a share of them) enter the events' outbox streams at RATE per second,
// exactly as the hold scripts append them (lua/includes/appendOutbox.lua), and flow
// Redis → relay (reaper process) → Kafka → persister + notifier (worker process) → Postgres.
// Reported per process: CPU seconds from the first entry until the last row, notification
// and delivery are in Postgres, divided by CHANGES (µs per change), next to what the same
// processes burn idle over the same time (their polling loops).
//
//   node --import tsx perf/http/pipeline-cpu.ts
//   CHANGES=20000 RATE=4000 EVENTS=1 CONFIRM_SHARE=0.25 PROFILE=1 STACK_DIR=.stack HOLD_IDS=uuid
//
// RATE=0 puts everything in the outbox first (a backlog after a Kafka outage). NODE_FLAGS
// go to the reaper and the worker (e.g. --max-semi-space-size=32). PROFILE=1
// runs the reaper and the worker with `node --cpu-prof` (profiles in .stack/profiles; read
// them with perf/http/profile-top.ts). Against REDIS_URL, DATABASE_URL and KAFKA_BROKERS (the
// local stack by default); the Kafka broker, Postgres and Redis are found by the pid files
// under STACK_DIR (default .stack). Everything the run makes is its own: a throwaway
// database, a Redis key prefix and a Kafka topic prefix. The broker, Postgres and Redis
// figures count everything those servers do, so for clean ones give the run a stack of
// its own, e.g. STACK_DIR=.stack/pcpu STACK_REDIS_PORT=6391 STACK_PG_PORT=5441
// STACK_KAFKA_PORT=9194 STACK_KAFKA_CONTROLLER_PORT=9195 bash tools/stack/stack.sh up (with
// .stack/pcpu/kafka/libs linked to .stack/kafka/libs), and warm the broker's JIT with a
// few runs first: its figure halves over the first three or four.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import postgres from 'postgres';
import { newHoldId } from '../../core/reservations/hold-ids.js';
import { keyspace } from '../../core/reservations/keys.js';
import { runMigrations } from '../../platform/db/migrate.js';
import { treeCpuSeconds } from './cpu.js';
import { type Service, startService } from './processes.js';

const num = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const CHANGES = num('CHANGES', 20_000);
const RATE = num('RATE', 4000);
const EVENTS = num('EVENTS', 1);
const CONFIRM_SHARE = num('CONFIRM_SHARE', 0.25);
const USERS = num('USERS', 500);
const IDLE_SECONDS = num('IDLE_SECONDS', 3);
const WORKER_PORT = num('PIPELINE_WORKER_PORT', 9311);
const REAPER_PORT = num('PIPELINE_REAPER_PORT', 9312);
const PROFILE = process.env.PROFILE === '1';
/** HOLD_IDS=uuid: reservation ids as before hold-ids.ts (UUIDs), to compare with older code. */
const UUID_IDS = process.env.HOLD_IDS === 'uuid';
const STACK_DIR = process.env.STACK_DIR ?? '.stack';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6390';
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://drop:drop@127.0.0.1:5440/drop';
const KAFKA_BROKERS = process.env.KAFKA_BROKERS ?? '127.0.0.1:9192';

// CPU of each process tree (PostgreSQL: the postmaster and its backends), in seconds.
const treeSeconds = (roots: Record<string, number>) =>
  Object.fromEntries(Object.entries(roots).map(([name, pid]) => [name, treeCpuSeconds(pid)]));

const pidFile = (path: string) => {
  try {
    return Number(readFileSync(path, 'utf8').split('\n')[0]);
  } catch {
    return 0;
  }
};

// ------------------------------------------------------------------------------ the run

const runId = `pcpu${Date.now().toString(36)}`;
const dbName = `drop_${runId}`;
const adminSql = postgres(DATABASE_URL, { max: 1, onnotice: () => {} });
await adminSql.unsafe(`create database ${dbName}`);
const dbUrl = new URL(DATABASE_URL);
dbUrl.pathname = `/${dbName}`;
const sql = postgres(dbUrl.toString(), { max: 2, onnotice: () => {} });
const redis = new Redis(REDIS_URL);
const keys = keyspace(`${runId}:`);
const services: Service[] = [];

async function cleanup() {
  for (const s of services.reverse()) await s.stop().catch(() => {});
  // The run's topics and consumer groups go too (the broker keeps every partition's files).
  const admin = new Kafka({
    brokers: KAFKA_BROKERS.split(','),
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin
    .connect()
    .then(async () => {
      const topics = (await admin.listTopics()).filter((t) => t.startsWith(`${runId}.`));
      if (topics.length > 0) await admin.deleteTopics({ topics });
      await admin.deleteGroups([`${runId}.persister`, `${runId}.notifier`]).catch(() => {});
    })
    .catch((err) => console.error(`[pipeline-cpu] could not delete the run's topics: ${err}`))
    .finally(() => admin.disconnect());
  const left = await redis.keys(`${runId}:*`);
  if (left.length > 0) await redis.del(...left);
  redis.disconnect();
  await sql.end({ timeout: 2 });
  await adminSql.unsafe(`drop database if exists ${dbName} with (force)`);
  await adminSql.end({ timeout: 2 });
}

try {
  await runMigrations(dbUrl.toString());
  const users = (
    await sql<{ id: string }[]>`
      insert into users (email, password_hash)
      select 'pcpu-' || g || '@bench.test', 'x' from generate_series(1, ${USERS}) g
      returning id`
  ).map((u) => u.id);
  const events = Array.from({ length: EVENTS }, () => ({
    id: randomUUID(),
    categoryId: randomUUID(),
  }));
  await redis.sadd(keys.liveEvents, ...events.map((e) => e.id));

  // The changes, in the order they happen: a confirmation follows its hold about a second
  // later (RATE entries), as a surge's buyers pay.
  const holds = Math.round(CHANGES / (1 + CONFIRM_SHARE));
  const confirms = CHANGES - holds;
  const confirmEvery = confirms > 0 ? holds / confirms : Number.POSITIVE_INFINITY;
  const lagEntries = Math.max(1, RATE || 1000);
  // `at` and `expiresAt` are stamped when an entry is fed (as the scripts stamp Redis's
  // TIME): a surge has several changes per millisecond. A confirmation keeps its hold's
  // expiresAt.
  const entries: { event: (typeof events)[number]; fields: string[]; hold?: string[] }[] = [];
  const pendingConfirms: { at: number; event: (typeof events)[number]; hold: string[] }[] = [];
  let nextConfirm = 0;
  const ttl = 600_000;
  for (let i = 0; i < holds; i++) {
    while (pendingConfirms.length > 0 && (pendingConfirms[0]?.at ?? 0) <= entries.length) {
      const c = pendingConfirms.shift() as (typeof pendingConfirms)[number];
      const fields = [...c.hold];
      fields[1] = 'reservation.confirmed';
      fields[15] = '2';
      entries.push({ event: c.event, fields, hold: c.hold });
    }
    const event = events[i % events.length] as (typeof events)[number];
    const fields = [
      'type',
      'reservation.held',
      'reservationId',
      UUID_IDS ? randomUUID() : newHoldId(event.id),
      'eventId',
      event.id,
      'categoryId',
      event.categoryId,
      'userId',
      users[i % users.length] as string,
      'quantity',
      String(1 + (i % 4)),
      'at',
      '',
      'seq',
      '1',
      'expiresAt',
      '',
    ];
    entries.push({ event, fields });
    if (i >= nextConfirm && confirms > 0) {
      pendingConfirms.push({ at: entries.length + lagEntries, event, hold: fields });
      nextConfirm += confirmEvery;
    }
  }
  for (const c of pendingConfirms) {
    const fields = [...c.hold];
    fields[1] = 'reservation.confirmed';
    fields[15] = '2';
    entries.push({ event: c.event, fields, hold: c.hold });
  }
  const confirmed = entries.length - holds;

  const env = {
    REDIS_URL,
    DATABASE_URL: dbUrl.toString(),
    KAFKA_BROKERS,
    REDIS_KEY_PREFIX: `${runId}:`,
    KAFKA_TOPIC_PREFIX: `${runId}.`,
    WORKER_METRICS_PORT: String(WORKER_PORT),
    REAPER_METRICS_PORT: String(REAPER_PORT),
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    LOG_PRETTY: 'false',
  };
  const nodeArgs = [
    ...(PROFILE ? ['--cpu-prof', '--cpu-prof-dir', join(STACK_DIR, 'profiles')] : []),
    ...(process.env.NODE_FLAGS?.split(' ').filter(Boolean) ?? []),
  ];
  const worker = await startService(
    'worker',
    'worker/main.ts',
    env,
    `http://127.0.0.1:${WORKER_PORT}/readyz`,
    nodeArgs,
  );
  services.push(worker);
  const reaper = await startService(
    'reaper',
    'reaper/main.ts',
    env,
    `http://127.0.0.1:${REAPER_PORT}/readyz`,
    nodeArgs,
  );
  services.push(reaper);

  const redisPid = Number(/process_id:(\d+)/.exec(await redis.info('server'))?.[1]);
  const roots: Record<string, number> = {
    reaper: reaper.pid,
    worker: worker.pid,
    kafka: pidFile(join(STACK_DIR, 'kafka', 'kafka.pid')),
    postgres: pidFile(join(STACK_DIR, 'pg', 'data', 'postmaster.pid')),
    redis: redisPid,
  };
  for (const [name, pid] of Object.entries(roots))
    if (!pid || Number.isNaN(treeCpuSeconds(pid)))
      throw new Error(`no ${name} process (pid ${pid}); STACK_DIR?`);

  // Let the consumer groups join, then measure the idle burn.
  await new Promise((r) => setTimeout(r, 3000));
  const idleFrom = treeSeconds(roots);
  const idleStart = performance.now();
  await new Promise((r) => setTimeout(r, IDLE_SECONDS * 1000));
  const idleTo = treeSeconds(roots);
  const idleSeconds = (performance.now() - idleStart) / 1000;

  const done = async () => {
    const [r] = await sql<{ rows: number; confirmed: number; sent: number }[]>`
      select (select count(*)::int from reservations) as rows,
             (select count(*)::int from reservations where status = 'confirmed') as confirmed,
             (select count(*)::int from notifications where status = 'sent') as sent`;
    return r as { rows: number; confirmed: number; sent: number };
  };

  console.log(
    `[pipeline-cpu] ${entries.length} changes (${holds} holds, ${confirmed} confirmations) ` +
      `over ${EVENTS} event(s) at ${RATE || 'once'}/s${PROFILE ? ', profiling' : ''}`,
  );
  const from = treeSeconds(roots);
  const start = performance.now();
  const slice = RATE > 0 ? Math.max(1, Math.round(RATE / 100)) : 1000;
  for (let i = 0; i < entries.length; i += slice) {
    const pipe = redis.pipeline();
    const sliceAt = Date.now();
    for (const [k, e] of entries.slice(i, i + slice).entries()) {
      // Spread over the slice's 10 ms, as RATE separate requests would be.
      const now = RATE > 0 ? sliceAt + Math.floor((k * 1000) / RATE) : sliceAt;
      e.fields[13] = String(now);
      e.fields[17] = e.hold ? (e.hold[17] as string) : String(now + ttl);
      pipe.xadd(keys.event(e.event.id).outbox, '*', ...e.fields);
    }
    await pipe.exec();
    if (RATE > 0) {
      const due = start + ((i + slice) / RATE) * 1000;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
  }
  const fedSeconds = (performance.now() - start) / 1000;
  const deadline = Date.now() + 300_000;
  // The polls cost Postgres a little too: their time is reported.
  let polls = 0;
  let pollMs = 0;
  for (;;) {
    const t = performance.now();
    const d = await done();
    polls += 1;
    pollMs += performance.now() - t;
    if (d.rows === holds && d.confirmed === confirmed && d.sent === confirmed) break;
    if (Date.now() > deadline) throw new Error(`not persisted in time: ${JSON.stringify(d)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  const to = treeSeconds(roots);
  const seconds = (performance.now() - start) / 1000;
  // How the changes were batched: Kafka produce requests, and persister upserts.
  const metric = async (port: number, name: string) => {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    return Number(
      new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN,
    );
  };
  const produces = await metric(REAPER_PORT, 'relay_produce_duration_seconds_count');
  const upserts = await metric(WORKER_PORT, 'persister_batch_duration_seconds_count');

  const rows = Object.keys(roots).map((name) => {
    const cpuSeconds = (to[name] ?? 0) - (from[name] ?? 0);
    const idleShare = ((idleTo[name] ?? 0) - (idleFrom[name] ?? 0)) / idleSeconds;
    const idleCpuSeconds = idleShare * seconds;
    return {
      process: name,
      'cpu s': cpuSeconds.toFixed(2),
      'µs/change': Math.round((cpuSeconds / entries.length) * 1e6),
      'idle % core': Number((idleShare * 100).toFixed(1)),
      'idle µs/change': Math.round((idleCpuSeconds / entries.length) * 1e6),
      'net µs/change': Math.round(((cpuSeconds - idleCpuSeconds) / entries.length) * 1e6),
    };
  });
  const sum = (k: 'µs/change' | 'net µs/change') => rows.reduce((a, r) => a + r[k], 0);
  const pipelineOnly = rows.filter((r) => r.process !== 'redis');
  rows.push({
    process: 'total (without redis)',
    'cpu s': pipelineOnly.reduce((a, r) => a + Number(r['cpu s']), 0).toFixed(2),
    'µs/change': sum('µs/change') - (rows.find((r) => r.process === 'redis')?.['µs/change'] ?? 0),
    'idle % core': Number(pipelineOnly.reduce((a, r) => a + r['idle % core'], 0).toFixed(1)),
    'idle µs/change': pipelineOnly.reduce((a, r) => a + r['idle µs/change'], 0),
    'net µs/change':
      sum('net µs/change') - (rows.find((r) => r.process === 'redis')?.['net µs/change'] ?? 0),
  });
  console.log(
    `[pipeline-cpu] fed in ${fedSeconds.toFixed(1)} s, all in Postgres after ${seconds.toFixed(1)} s ` +
      `(${polls} completion polls took ${Math.round(pollMs)} ms; redis includes this script's XADDs); ` +
      `${produces} produce requests (${Math.round(entries.length / produces)} changes each), ` +
      `${upserts} persister batches`,
  );
  console.table(rows);
} finally {
  await cleanup();
}
