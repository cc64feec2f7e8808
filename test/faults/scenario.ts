// One Redis fault in the middle of a drop, end to end: a Redis of the scenario's own, the
// engine as real processes on it (api, reaper, worker; Postgres and Kafka shared), a surge
// of users holding and paying over HTTP, then the fault — SIGKILL, SIGKILL + the AOF's last
// second cut (a machine crash under `appendfsync everysec`), or SIGKILL + the data folder
// gone — and Redis back on the same port. Then: wait for sales to resume (nobody steps
// in), buy out whatever is left, let holds end, and compare what the api acknowledged with
// Postgres, Redis and the public availability.
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import postgres from 'postgres';
import { eventKeys } from '../../core/reservations/keys.js';
import { startEngine } from '../helpers/engine.js';
import { checkInvariants } from '../helpers/invariants.js';
import { type AofCut, cutLastSecondOfAof, startOwnRedis } from '../helpers/redis-server.js';
import { services } from '../helpers/services.js';
import { type Category, DropClient, http, inPool, sleep } from './drop-client.js';
import { watchReachability } from './fence.js';
import { describeAnswer, type ScenarioReport, tally } from './report.js';
import {
  BUYOUT_ROUND_MS,
  DOWN_MS,
  FAULTS_DIR,
  type FaultKind,
  HOLD_TTL_SECONDS,
  KILL_AFTER_MS,
  KILL_AT_CONFIRMED_SHARE,
  NOTIFIED_WITHIN_MS,
  openDrop,
  PACE,
  RESUME_WITHIN_MS,
  type Resources,
  USERS,
} from './setup.js';

const until = async (what: string, check: () => boolean | Promise<boolean>, timeoutMs: number) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(50);
  }
};

export async function runScenario(kind: FaultKind, res: Resources): Promise<ScenarioReport> {
  const marks: Record<string, number> = { start: Date.now() };
  const id = randomUUID().slice(0, 8);
  const dir = join(FAULTS_DIR, `${kind}-${id}`);
  const redis = await startOwnRedis(dir);
  res.redis = redis;
  const engine = await startEngine({ redisUrl: redis.url });
  res.engine = engine;
  const sql = postgres(services().databaseUrl, { max: 4, onnotice: () => {} });
  res.sql = sql;
  const reader = new Redis(redis.url, { retryStrategy: () => 50, maxRetriesPerRequest: 20 });
  reader.on('error', () => {}); // it is down on purpose for a while
  res.reader = reader;
  const base = engine.apiUrl;

  // ------------------------------------------------------------------- the drop
  const { eventId, categories, capacity, prober, users } = await openDrop(
    base,
    engine.admin,
    kind,
    id,
  );
  const keys = eventKeys(eventId, engine.redisKeyPrefix);
  const redisCounts = async () => {
    const out: Record<string, { held: number; confirmed: number }> = {};
    for (const c of categories) {
      const h = await reader.hgetall(keys.category(c.id));
      out[c.id] = { held: Number(h.held ?? 0), confirmed: Number(h.confirmed ?? 0) };
    }
    return out;
  };
  marks.setUp = Date.now();

  // ------------------------------------------------------------------ the surge
  const client = new DropClient(base, eventId, categories, PACE);
  res.client = client;
  // The prober's own ticket: a reservation known to exist, read to see Redis reachable.
  const first = await client.reserve(prober, (categories[0] as Category).id, 1, `k-${id}`);
  if (first.status !== 201) throw new Error(`the prober's reserve: ${describeAnswer(first)}`);
  const knownHold = client.record(prober, first);
  if (!(await client.confirm(knownHold))) throw new Error('the prober could not buy a ticket');
  const known = { id: knownHold.id, token: prober.token };
  res.drop = { eventId, categories, prober, known, redisKeyPrefix: engine.redisKeyPrefix };
  const loops = users.map((u) => client.user(u));
  const surgeStart = Date.now();
  await until(
    'the surge reaching the kill point',
    () =>
      client.confirmedSeats() >= KILL_AT_CONFIRMED_SHARE * capacity &&
      Date.now() - surgeStart >= KILL_AFTER_MS,
    120_000,
  );

  // ------------------------------------------------------------------- the fault
  const killAt = Date.now();
  await redis.kill();
  const deadAt = Date.now();
  const confirmedAtKill = [...client.confirmed.keys()];
  const cancelledAtKill = [...client.cancelled];
  const holdsAtKill = [...client.holds.keys()];
  const atKillRows = await sql<{ id: string; status: string }[]>`
    select id, status from reservations where id = any(${confirmedAtKill})`;
  const atKillStatus = new Map(atKillRows.map((r) => [r.id, r.status]));
  const notInPostgresAtKill = confirmedAtKill.filter(
    (h) => !['confirmed', 'cancelled'].includes(atKillStatus.get(h) ?? ''),
  ).length;
  const cancellationsNotInPostgresAtKill = cancelledAtKill.filter(
    (h) => atKillStatus.get(h) !== 'cancelled',
  ).length;
  let cut: AofCut | undefined;
  if (kind === 'aof-cut') cut = await cutLastSecondOfAof(dir);
  if (kind === 'total-loss') await redis.wipe();
  await sleep(Math.max(0, deadAt + DOWN_MS - Date.now()));
  await redis.start();
  const upAt = Date.now();
  // Every acknowledged confirmation's notification is sent within the bound of Redis
  // coming back: it was stored with the sale, before the 200 (docs/DURABILITY.md).
  const notifying = (async () => {
    let unsent = confirmedAtKill.length;
    while (Date.now() < upAt + NOTIFIED_WITHIN_MS) {
      const [row] = await sql<{ n: number }[]>`
        select count(*)::int as n from notifications
        where reservation_id = any(${confirmedAtKill}) and kind = 'reservation.confirmed'
          and status = 'sent'`;
      unsent = confirmedAtKill.length - (row?.n ?? 0);
      if (unsent === 0) return { notSentInTime: 0, allSentAfterMs: Date.now() - upAt };
      await sleep(200);
    }
    return { notSentInTime: unsent, allSentAfterMs: null };
  })();

  // What Redis came back with (engine processes reconnect with a back-off; we read first).
  const pipe = reader.pipeline();
  for (const h of holdsAtKill) pipe.hget(keys.hold(h), 'status');
  const statuses = new Map(
    ((await pipe.exec()) ?? []).map(([, s], i) => [holdsAtKill[i] as string, s as string | null]),
  );
  const afterRestart = {
    acknowledgedConfirmationsGoneFromRedis: confirmedAtKill.filter(
      (h) => !['confirmed', 'cancelled'].includes(statuses.get(h) ?? ''),
    ).length,
    acknowledgedHoldsGoneFromRedis: holdsAtKill.filter((h) => !statuses.get(h)).length,
  };

  // ---------------------------------------------------------- the fence, watched
  // A prober reserves every 100 ms (ignoring Retry-After) to time the first 201; the
  // reachability watch tells when the api reaches Redis again, so a 503 after it is the
  // fence, not the outage.
  let resumedAt: number | undefined;
  const fenceDeadline = upAt + RESUME_WITHIN_MS;
  const probing = (async () => {
    while (resumedAt === undefined && Date.now() < fenceDeadline) {
      const a = await client.reserve(
        prober,
        (categories[0] as Category).id,
        1,
        `p-${randomUUID()}`,
        'probe',
      );
      if (a.status === 201) {
        resumedAt ??= a.end;
        await client.release(client.record(prober, a));
        return;
      }
      await sleep(100);
    }
  })();
  const [, apiRedisOkAt] = await Promise.all([
    probing,
    watchReachability(base, known, () => resumedAt !== undefined, fenceDeadline),
  ]);
  const firstHold = client.answers
    .filter(
      (a) => (a.route === 'reserve' || a.route === 'probe') && a.status === 201 && a.start >= upAt,
    )
    .reduce((m, a) => Math.min(m, a.end), Number.POSITIVE_INFINITY);
  const resumed = Number.isFinite(firstHold) && firstHold <= fenceDeadline;
  const fenceEnd = resumed ? firstHold : Date.now();
  marks.fenceEnd = Date.now();

  // ------------------------------------------------------------------- buy-out
  let rounds = 0;
  if (resumed) {
    client.mode = 'buyout';
    client.deadline = Date.now() + BUYOUT_ROUND_MS;
    await Promise.all(loops);
    rounds = 1;
    // Holds walked away from (and any a recovery put back) end within their TTL; then the
    // stock they had is bought too, until every category is sold out with nothing held.
    for (; rounds < 6; rounds++) {
      await until(
        'every hold ended',
        async () => Object.values(await redisCounts()).every((c) => c.held === 0),
        HOLD_TTL_SECONDS * 1000 + 20_000,
      ).catch(() => {});
      const avail = await http(base, 'GET', `/v1/events/${eventId}/availability`);
      const cats = (avail.body.categories ?? []) as { available: number }[];
      if (cats.length > 0 && cats.every((c) => c.available === 0)) break;
      client.soldOut.clear();
      client.deadline = Date.now() + BUYOUT_ROUND_MS;
      await Promise.all(users.map((u) => client.user(u)));
    }
  } else {
    client.giveUpAt = Date.now();
  }
  client.mode = 'stop';
  await Promise.all(loops);
  marks.boughtOut = Date.now();

  // ------------------------------------------------------------- settle, then read
  const pgRows = async () =>
    sql<{ id: string; category_id: string; quantity: number; status: string }[]>`
      select id, category_id, quantity, status from reservations where event_id = ${eventId}`;
  const pgConfirmed = (rows: Awaited<ReturnType<typeof pgRows>>, categoryId: string) =>
    rows
      .filter((r) => r.category_id === categoryId && r.status === 'confirmed')
      .reduce((n, r) => n + r.quantity, 0);
  // The pipeline drains: Postgres agrees with Redis on what is confirmed (or gives up).
  await until(
    'Postgres agreeing with Redis',
    async () => {
      const [rows, counts] = await Promise.all([pgRows(), redisCounts()]);
      return categories.every((c) => pgConfirmed(rows, c.id) === counts[c.id]?.confirmed);
    },
    20_000,
  ).catch(() => {});
  marks.settled = Date.now();

  const rows = await pgRows();
  const byId = new Map(rows.map((r) => [r.id, r]));
  const confirmationsLost = [...client.confirmed.keys()].filter((h) => {
    const status = byId.get(h)?.status;
    return !(status === 'confirmed' || (status === 'cancelled' && client.cancelAttempted.has(h)));
  });
  const cancellationsLost = [...client.cancelled].filter(
    (h) => byId.get(h)?.status !== 'cancelled',
  );

  // One confirmation notification per confirmed reservation, sent (the last sales' within
  // the bound of the delivery loop), none twice.
  const tell = () => sql<
    { confirmed: number; missing: number; not_sent: number; duplicates: number }[]
  >`
    select
      (select count(*)::int from reservations r
        where r.event_id = ${eventId} and r.confirmed_at is not null) as confirmed,
      (select count(*)::int from reservations r
        where r.event_id = ${eventId} and r.confirmed_at is not null and not exists (
          select 1 from notifications n where n.reservation_id = r.id
            and n.kind = 'reservation.confirmed')) as missing,
      (select count(*)::int from reservations r
        where r.event_id = ${eventId} and r.confirmed_at is not null and not exists (
          select 1 from notifications n where n.reservation_id = r.id
            and n.kind = 'reservation.confirmed' and n.status = 'sent')) as not_sent,
      (select count(*)::int from (
        select n.reservation_id from notifications n
        join reservations r on r.id = n.reservation_id and r.event_id = ${eventId}
        where n.kind = 'reservation.confirmed'
        group by n.reservation_id having count(*) > 1) d) as duplicates`;
  let [told] = await tell();
  for (const sentBy = Date.now() + NOTIFIED_WITHIN_MS; told?.not_sent && Date.now() < sentBy; ) {
    await sleep(200);
    [told] = await tell();
  }
  const inTime = await notifying;

  let invariants = 'ok';
  let counts: Record<string, { held: number; confirmed: number; capacity: number }> = {};
  try {
    counts = await checkInvariants(reader, eventId, engine.redisKeyPrefix);
  } catch (err) {
    invariants = (err as Error).message;
    counts = Object.fromEntries(
      Object.entries(await redisCounts()).map(([k, v]) => [k, { ...v, capacity: NaN }]),
    );
  }
  const avail = await http(base, 'GET', `/v1/events/${eventId}/availability`);
  const availableApi = new Map(
    ((avail.body.categories ?? []) as { id: string; available: number }[]).map((c) => [
      c.id,
      c.available,
    ]),
  );

  // Every hold the api acknowledged, read back by its owner: 404 = lost.
  const reads = await inPool([...client.holds.values()], 32, async (h) =>
    h.state === 'not_found'
      ? 404
      : (await http(base, 'GET', `/v1/reservations/${h.id}`, h.user.token)).status,
  );
  const holdsLost = reads.filter((s) => s === 404).length;

  const afterKill = client.answers.filter((a) => a.start >= deadAt);
  const unexpected = client.answers.filter(
    (a) => a.status === 0 || (a.status >= 500 && a.status !== 503),
  );
  const reserve404s = afterKill.filter(
    (a) => (a.route === 'reserve' || a.route === 'probe') && a.status === 404,
  );
  const bad503s = client.answers.filter(
    (a) => a.status === 503 && (a.code !== 'dependency_unavailable' || !a.retryAfter),
  );
  const report: ScenarioReport = {
    scenario: kind,
    users: USERS,
    capacity,
    surgeMsBeforeKill: killAt - surgeStart,
    atKill: {
      holdsAcknowledged: holdsAtKill.length,
      confirmationsAcknowledged: confirmedAtKill.length,
      confirmedSeatsAcknowledged: confirmedAtKill.reduce(
        (n, h) => n + (client.holds.get(h)?.quantity ?? 0),
        0,
      ),
      notInPostgres: notInPostgresAtKill,
      cancellationsAcknowledged: cancelledAtKill.length,
      cancellationsNotInPostgres: cancellationsNotInPostgresAtKill,
    },
    ...(cut
      ? {
          aofCut: {
            bytesBefore: cut.bytesBefore,
            bytesAfter: cut.bytesAfter,
            lastTs: cut.lastTs,
            cutFromTs: cut.cutFromTs,
            commandsCut: cut.commandsCut,
            commandsKept: cut.commandsKept,
          },
        }
      : {}),
    afterRestart,
    redisDownMs: upAt - deadAt,
    apiReconnectedAfterMs: apiRedisOkAt === undefined ? null : apiRedisOkAt - upAt,
    fencedMs: resumed ? firstHold - upAt : null,
    answersDuringOutageAndFence: tally(afterKill.filter((a) => a.end <= fenceEnd)),
    fencedWhileRedisReachable: afterKill.filter(
      (a) =>
        (a.route === 'reserve' || a.route === 'probe') &&
        a.status === 503 &&
        apiRedisOkAt !== undefined &&
        a.start >= apiRedisOkAt &&
        a.end <= fenceEnd,
    ).length,
    holdsAcknowledged: client.holds.size,
    holdsLost,
    confirmationsAcknowledged: client.confirmed.size,
    confirmationsLost: confirmationsLost.length,
    cancellationsAcknowledged: client.cancelled.size,
    cancellationsLost: cancellationsLost.length,
    unexpectedAnswers: unexpected.length,
    bad503s: bad503s.length,
    samples: {
      confirmationsLost: confirmationsLost.slice(0, 5),
      cancellationsLost: cancellationsLost.slice(0, 5),
      unexpectedAnswers: unexpected.slice(0, 5).map(describeAnswer),
      bad503s: bad503s.slice(0, 5).map(describeAnswer),
      reserve404sAfterKill: reserve404s
        .slice(0, 5)
        .map((a) => `${describeAnswer(a)} +${a.start - upAt}..${a.end - upAt} ms`),
    },
    reserve404sAfterKill: reserve404s.length,
    buyoutRounds: rounds,
    processesExited: Object.entries(engine.processes)
      .filter(([, p]) => p.child.exitCode !== null || p.child.signalCode !== null)
      .map(([name, p]) => `${name}: ${p.child.exitCode ?? p.child.signalCode}`),
    categories: categories.map((c) => ({
      id: c.id,
      capacity: c.capacity,
      postgresConfirmed: pgConfirmed(rows, c.id),
      redisConfirmed: counts[c.id]?.confirmed ?? null,
      redisHeld: counts[c.id]?.held ?? null,
      availableApi: availableApi.get(c.id) ?? null,
    })),
    postgresConfirmed: categories.reduce((n, c) => n + pgConfirmed(rows, c.id), 0),
    notifications: {
      ...inTime,
      confirmedInPostgres: told?.confirmed ?? 0,
      missing: told?.missing ?? Number.NaN,
      notSent: told?.not_sent ?? Number.NaN,
      duplicates: told?.duplicates ?? Number.NaN,
    },
    invariants,
    durationsMs: {
      setUp: (marks.setUp as number) - (marks.start as number),
      surge: killAt - surgeStart,
      redisDown: upAt - killAt,
      fence: fenceEnd - upAt,
      buyout: (marks.boughtOut as number) - (marks.fenceEnd as number),
      settle: (marks.settled as number) - (marks.boughtOut as number),
      total: Date.now() - (marks.start as number),
    },
  };
  return report;
}
