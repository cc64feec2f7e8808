// `npm run seed`: a demo drop to try the engine with, in Postgres and its stock in Redis.
// Idempotent: fixed ids; Postgres stays the source of what the drop is, and Redis is set
// from it without touching what is already held or sold.
import { eq } from 'drizzle-orm';
import { listCategories } from '../../core/catalog/events.js';
import { raiseMarks } from '../../core/records/event-marks.js';
import { createHoldsFromConfig, HoldRefusal } from '../../core/reservations/holds.js';
import { events, ticketCategories } from '../../drizzle/schema/index.js';
import { loadConfigOrExit } from '../../platform/config.js';
import { connectRedis } from '../../platform/connect.js';
import { createDb, createSql } from '../../platform/db/client.js';
import { createLogger } from '../../platform/logger.js';

export const DEMO_EVENT_ID = '01930000-0000-7000-8000-000000000001';
const DEMO_CATEGORIES = [
  {
    id: '01930000-0000-7000-8000-000000000011',
    name: 'Standing',
    priceCents: 4900,
    capacity: 1000,
  },
  { id: '01930000-0000-7000-8000-000000000012', name: 'Seated', priceCents: 8900, capacity: 200 },
];

const config = loadConfigOrExit();
const logger = createLogger({ ...config, LOG_LEVEL: 'warn' }, 'seed');
const sql = createSql(config);
const redis = await connectRedis(config, logger);
try {
  const db = createDb(sql);
  const startsAt = new Date(Date.UTC(new Date().getUTCFullYear() + 1, 5, 21, 19, 0));
  const inserted = await db
    .insert(events)
    .values({
      id: DEMO_EVENT_ID,
      name: 'Demo Drop: Midsummer Live',
      description: 'A demo event seeded by npm start.',
      venue: 'Demo Arena',
      startsAt,
      status: 'on_sale',
      perUserLimit: 10,
    })
    .onConflictDoNothing()
    .returning({ id: events.id });
  await db
    .insert(ticketCategories)
    .values(DEMO_CATEGORIES.map((c) => ({ ...c, eventId: DEMO_EVENT_ID, currency: 'EUR' })))
    .onConflictDoNothing();

  const [event] = await db.select().from(events).where(eq(events.id, DEMO_EVENT_ID));
  if (!event) throw new Error('the demo event vanished');
  const holds = createHoldsFromConfig(redis, config);
  await raiseMarks(db, config.REDIS_KEY_PREFIX, [{ eventId: event.id, changeSeq: 0 }]);
  // Only a demo event made just now is complete in Redis by definition; an older one is
  // the verifier's to check against its record (reaper/verifier.ts).
  await holds.setEventState(
    event.id,
    {
      status: event.status,
      holdTtlSeconds: event.holdTtlSeconds ?? config.HOLD_TTL_SECONDS,
      perUserLimit: event.perUserLimit,
    },
    { created: inserted.length > 0 },
  );
  const categories = await listCategories(db, event.id);
  for (const category of categories) {
    await holds.setCategory(event.id, category).catch((err) => {
      // Someone lowered the capacity below what is sold: Redis keeps the truth it has.
      if (!(err instanceof HoldRefusal)) throw err;
    });
  }

  const base = `http://127.0.0.1:${config.PORT}`;
  const json = `-H 'content-type: application/json'`;
  const [first] = categories;
  console.log(
    [
      `demo drop ready: "${event.name}" (${event.status}), event ${event.id}`,
      ...categories.map((c) => `  ${c.name}: ${c.capacity} seats, category ${c.id}`),
      'try it once the api is up:',
      `  curl -s ${base}/v1/events/${event.id}/availability`,
      `  curl -s -XPOST ${base}/v1/auth/register ${json} -d '{"email":"fan@example.com","password":"demo password"}'`,
      `  TOKEN=$(curl -s -XPOST ${base}/v1/auth/login ${json} -d '{"email":"fan@example.com","password":"demo password"}' | sed -E 's/.*"accessToken":"([^"]+)".*/\\1/')`,
      `  curl -s -XPOST ${base}/v1/reservations -H "authorization: Bearer $TOKEN" ${json} -d '{"eventId":"${event.id}","categoryId":"${first?.id}","quantity":2}'`,
    ].join('\n'),
  );
} finally {
  redis.disconnect();
  await sql.end({ timeout: 5 });
}
