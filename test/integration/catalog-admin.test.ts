// The catalog operations (core/admin/catalog.ts) when a step fails: Redis refuses, the
// outbox append fails after Redis was written, the commit fails after Redis was written.
// Whatever failed, Postgres and Redis agree afterwards, as the module's header says.
import { randomUUID } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CatalogDeps,
  type CatalogOperations,
  catalogOperations,
} from '../../core/admin/catalog.js';
import { appendCatalogChange } from '../../core/catalog/changes.js';
import { findEvent, listCategories } from '../../core/catalog/events.js';
import { HoldError, HoldRefusal } from '../../core/reservations/hold.js';
import { createHoldsFromConfig, type Holds } from '../../core/reservations/holds.js';
import { auditLog } from '../../drizzle/schema/index.js';
import { createDb, createSql, type Db } from '../../platform/db/client.js';
import { createLogger } from '../../platform/logger.js';
import { createRedis, type RedisClient, redisReady } from '../../platform/redis.js';
import { testConfig } from '../helpers/services.js';

const config = testConfig();
const actor = { actorId: null, requestId: null };
let sql: ReturnType<typeof createSql>;
let db: Db;
let redis: RedisClient;
let holds: Holds;
let ops: CatalogOperations;

function operations(overrides: Partial<CatalogDeps> = {}) {
  return catalogOperations({
    db,
    holds,
    redis,
    defaultHoldTtlSeconds: config.HOLD_TTL_SECONDS,
    namespace: config.REDIS_KEY_PREFIX,
    publish: (change) => appendCatalogChange(redis, holds.keys, change),
    ...overrides,
  });
}
const refusingPublish = async () => {
  throw new Error('outbox unavailable');
};
/** A Db whose next transaction runs its work and then fails to commit (rolls back). */
function failingCommit(): Db {
  let armed = true;
  const transaction: Db['transaction'] = (work, config) => {
    if (!armed) return db.transaction(work, config);
    armed = false;
    return db.transaction(async (tx) => {
      await work(tx);
      throw new Error('commit failed');
    }, config);
  };
  return Object.assign(Object.create(db) as Db, { transaction });
}

beforeAll(async () => {
  sql = createSql(config);
  db = createDb(sql);
  redis = createRedis(config, createLogger(config, 'catalog-admin-test'));
  await redisReady(redis, 10_000);
  holds = createHoldsFromConfig(redis, config);
  ops = operations();
});
afterAll(async () => {
  redis?.disconnect();
  await sql?.end({ timeout: 1 });
});

const eventHash = (eventId: string) => redis.hgetall(holds.keys.event(eventId).event);
const categoryHash = (eventId: string, categoryId: string) =>
  redis.hgetall(holds.keys.event(eventId).category(categoryId));
const redisCategories = (eventId: string) => redis.smembers(holds.keys.event(eventId).categories);
const auditActions = async (targetId: string) =>
  (await db.select().from(auditLog).where(eq(auditLog.targetId, targetId))).map((r) => r.action);

async function drop(capacity = 5) {
  const event = await ops.createEvent(
    {
      name: `Catalog ${randomUUID().slice(0, 8)}`,
      venue: 'Hall',
      startsAt: new Date(Date.now() + 86_400_000).toISOString(),
      status: 'on_sale',
    },
    actor,
  );
  const category = await ops.addCategory(
    event.id,
    { name: 'Floor', priceCents: 1000, capacity },
    actor,
  );
  return { event, category };
}

/** Postgres's event and categories, as Redis should hold them. */
async function expectAgreement(eventId: string) {
  const event = await findEvent(db, eventId);
  const hash = await eventHash(eventId);
  if (!event) {
    expect(hash).toEqual({});
    expect(await redisCategories(eventId)).toEqual([]);
    expect(await redis.sismember(holds.keys.liveEvents, eventId)).toBe(0);
    return;
  }
  expect(hash.status).toBe(event.status);
  const categories = await listCategories(db, eventId);
  expect((await redisCategories(eventId)).sort()).toEqual(categories.map((k) => k.id).sort());
  for (const k of categories) {
    expect(Number((await categoryHash(eventId, k.id)).capacity)).toBe(k.capacity);
  }
}

describe('a refusal by Redis', () => {
  it('capacity below what is held rolls Postgres back; both keep the old capacity', async () => {
    const { event, category } = await drop(5);
    await holds.reserve({
      eventId: event.id,
      categoryId: category.id,
      userId: randomUUID(),
      quantity: 3,
    });
    const err = await ops
      .updateCategory(event.id, category.id, { capacity: 2 }, actor)
      .catch((e) => e);
    expect(err).toBeInstanceOf(HoldRefusal);
    expect((err as HoldRefusal).code).toBe(HoldError.CapacityBelowSold);
    const [row] = await listCategories(db, event.id);
    expect(row?.capacity).toBe(5);
    expect(await auditActions(category.id)).toEqual(['category.created']);
    await expectAgreement(event.id);
    expect(Number((await categoryHash(event.id, category.id)).held)).toBe(3);
  });
});

describe('the outbox append fails after Redis was written', () => {
  const failing = () => operations({ publish: refusingPublish });

  it('create event: no row in Postgres, nothing in Redis', async () => {
    const id = randomUUID();
    await expect(
      failing().createEvent(
        { id, name: 'Never', venue: 'Hall', startsAt: new Date().toISOString() },
        actor,
      ),
    ).rejects.toThrow('outbox unavailable');
    expect(await findEvent(db, id)).toBeUndefined();
    await expectAgreement(id);
  });

  it('status move: Postgres and Redis both keep the old status', async () => {
    const { event } = await drop();
    await expect(failing().updateEvent(event.id, { status: 'paused' }, actor)).rejects.toThrow(
      'outbox unavailable',
    );
    expect((await findEvent(db, event.id))?.status).toBe('on_sale');
    await expectAgreement(event.id);
  });

  it('add category: Redis forgets the category Postgres never kept', async () => {
    const { event } = await drop();
    await expect(
      failing().addCategory(event.id, { name: 'Balcony', priceCents: 1, capacity: 9 }, actor),
    ).rejects.toThrow('outbox unavailable');
    expect(await listCategories(db, event.id)).toHaveLength(1);
    await expectAgreement(event.id);
  });

  it('capacity change: both keep the old capacity', async () => {
    const { event, category } = await drop(5);
    await expect(
      failing().updateCategory(event.id, category.id, { capacity: 50 }, actor),
    ).rejects.toThrow('outbox unavailable');
    await expectAgreement(event.id);
    expect(Number((await categoryHash(event.id, category.id)).capacity)).toBe(5);
  });

  it('delete: the event stays in both, selling again (not left paused)', async () => {
    const { event } = await drop();
    await expect(failing().deleteEvent(event.id, actor)).rejects.toThrow('outbox unavailable');
    expect(await findEvent(db, event.id)).toBeDefined();
    expect((await eventHash(event.id)).status).toBe('on_sale');
    await expectAgreement(event.id);
  });
});

describe('the commit fails after Redis was written', () => {
  const failing = () => operations({ db: failingCommit() });

  it('create event: Redis forgets it', async () => {
    const id = randomUUID();
    await expect(
      failing().createEvent(
        { id, name: 'Never', venue: 'Hall', startsAt: new Date().toISOString() },
        actor,
      ),
    ).rejects.toThrow('commit failed');
    expect(await findEvent(db, id)).toBeUndefined();
    await expectAgreement(id);
  });

  it('status move: Redis goes back to the committed status', async () => {
    const { event } = await drop();
    await expect(failing().updateEvent(event.id, { status: 'closed' }, actor)).rejects.toThrow(
      'commit failed',
    );
    expect((await findEvent(db, event.id))?.status).toBe('on_sale');
    await expectAgreement(event.id);
  });

  it('delete: the event is not forgotten before its delete commits', async () => {
    const { event, category } = await drop();
    await expect(failing().deleteEvent(event.id, actor)).rejects.toThrow('commit failed');
    expect(await findEvent(db, event.id)).toBeDefined();
    expect((await categoryHash(event.id, category.id)).capacity).toBe('5');
    await expectAgreement(event.id);
    expect(await auditActions(event.id)).toEqual(['event.created']);
  });
});

describe('when every step succeeds', () => {
  it('delete forgets the event in Redis once committed, with its audit entry', async () => {
    const { event } = await drop();
    await ops.deleteEvent(event.id, actor);
    await expectAgreement(event.id);
    const rows = await db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.targetId, event.id), eq(auditLog.action, 'event.deleted')));
    expect(rows).toHaveLength(1);
  });
});
