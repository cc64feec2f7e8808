// `npm run seed`: a demo drop to try the engine with, in Postgres and its stock in Redis.
// Idempotent: a fixed event id, created once through the catalog's operations
// (core/admin/catalog.ts); on later runs Redis is set again from Postgres without touching
// what is already held or sold.
import { issueAccessCodes } from '../../core/access/codes.js';
import { catalogOperations } from '../../core/admin/catalog.js';
import { appendCatalogChange } from '../../core/catalog/changes.js';
import { findEvent, listCategories } from '../../core/catalog/events.js';
import { createHoldsFromConfig } from '../../core/reservations/holds.js';
import { loadConfigOrExit } from '../../platform/config.js';
import { connectRedis } from '../../platform/connect.js';
import { createDb, createSql } from '../../platform/db/client.js';
import { createLogger } from '../../platform/logger.js';

export const DEMO_EVENT_ID = '01930000-0000-7000-8000-000000000001';
/** The same drop behind a waiting room (SPEC §7): join, wait for the pass, reserve with it. */
export const QUEUED_DEMO_EVENT_ID = '01930000-0000-7000-8000-000000000002';
/** A presale behind the waiting room and the bot challenge (SPEC §9): a code and a solution. */
export const PRESALE_DEMO_EVENT_ID = '01930000-0000-7000-8000-000000000003';
/** Assigned seating (SPEC §8): a hall's map, exact seats or the best adjacent ones. */
export const SEATED_DEMO_EVENT_ID = '01930000-0000-7000-8000-000000000004';
/**
 * A hall small enough to read its seat status at a glance: the stalls, front row first,
 * and a circle above. No lone empty seat may be left, as a box office would have it.
 */
export const SEATED_DEMO_CATEGORY = {
  id: '01930000-0000-7000-8000-000000000041',
  name: 'Reserved seating',
  priceCents: 7900,
  noSingleSeatGaps: true,
  seatMap: {
    sections: [
      { name: 'Stalls', rows: ['A', 'B', 'C', 'D', 'E', 'F'].map((name) => ({ name, seats: 20 })) },
      { name: 'Circle', rows: ['A', 'B', 'C', 'D'].map((name) => ({ name, seats: 16 })) },
    ],
  },
};
/** The pair the demo picks by id: the middle of the circle's front row. */
const DEMO_EXACT_SEATS = ['Circle-A-8', 'Circle-A-9'];
const QUEUED_DEMO_CATEGORY = {
  id: '01930000-0000-7000-8000-000000000021',
  name: 'Standing',
  priceCents: 5900,
  capacity: 500,
};
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
  const holds = createHoldsFromConfig(redis, config);
  const catalog = catalogOperations({
    db,
    holds,
    redis,
    defaultHoldTtlSeconds: config.HOLD_TTL_SECONDS,
    namespace: config.REDIS_KEY_PREFIX,
    publish: (change) => appendCatalogChange(redis, holds.keys, change),
    logger,
  });
  const seeder = { actorId: null, requestId: null };
  const startsAt = new Date(Date.UTC(new Date().getUTCFullYear() + 1, 5, 21, 19, 0));
  const demoDrops = [
    {
      event: {
        id: DEMO_EVENT_ID,
        name: 'Demo Drop: Midsummer Live',
        description: 'A demo event seeded by npm start.',
      },
      categories: DEMO_CATEGORIES,
    },
    {
      event: {
        id: QUEUED_DEMO_EVENT_ID,
        name: 'Demo Drop: Midsummer Live, late show (waiting room)',
        description: 'A demo event behind a waiting room, seeded by npm start.',
        waitingRoom: { enabled: true, admitPerSecond: 5, passTtlSeconds: 600 },
      },
      categories: [QUEUED_DEMO_CATEGORY],
    },
    {
      event: {
        id: PRESALE_DEMO_EVENT_ID,
        name: 'Demo Drop: Midsummer Live, presale (code and bot challenge)',
        description:
          'A demo presale behind a waiting room and a bot challenge, seeded by npm start.',
        waitingRoom: { enabled: true, admitPerSecond: 5, passTtlSeconds: 600 },
        presale: { enabled: true, endsAt: startsAt.toISOString() },
        botChallenge: { enabled: true },
      },
      categories: [{ ...QUEUED_DEMO_CATEGORY, id: '01930000-0000-7000-8000-000000000031' }],
    },
    {
      event: {
        id: SEATED_DEMO_EVENT_ID,
        name: 'Demo Drop: Midsummer Live, matinee (pick your seats)',
        description: 'A demo event with assigned seating, seeded by npm start.',
      },
      categories: [SEATED_DEMO_CATEGORY],
    },
  ];
  for (const drop of demoDrops) {
    // The same operations as the admin routes: audited, announced on catalog.v1; a new
    // event is complete in Redis by definition (`created`).
    if (!(await findEvent(db, drop.event.id))) {
      await catalog.createEvent(
        {
          ...drop.event,
          venue: 'Demo Arena',
          startsAt: startsAt.toISOString(),
          status: 'on_sale',
          perUserLimit: 10,
        },
        seeder,
      );
    }
    const seeded = new Set((await listCategories(db, drop.event.id)).map((k) => k.id));
    for (const category of drop.categories) {
      if (seeded.has(category.id)) continue;
      await catalog.addCategory(drop.event.id, { ...category, currency: 'EUR' }, seeder);
    }
    // An older demo event: Redis is set from Postgres without touching what is held or
    // sold; whether Redis lost holds is the verifier's to check (reaper/verifier.ts).
    await catalog.resyncEvent(drop.event.id);
  }
  // Codes are shown once: each run issues one more for the demo's lines below.
  const [presaleCode] = (await issueAccessCodes(db, PRESALE_DEMO_EVENT_ID, 1, seeder)) ?? [];
  const event = await findEvent(db, DEMO_EVENT_ID);
  if (!event) throw new Error('the demo event vanished');
  const categories = await listCategories(db, event.id);

  const base = `http://127.0.0.1:${config.PORT}`;
  const json = `-H 'content-type: application/json'`;
  const [first] = categories;
  const seatedCapacity = (await listCategories(db, SEATED_DEMO_EVENT_ID)).find(
    (c) => c.id === SEATED_DEMO_CATEGORY.id,
  )?.capacity;
  const seatedIds = `"eventId":"${SEATED_DEMO_EVENT_ID}","categoryId":"${SEATED_DEMO_CATEGORY.id}"`;
  console.log(
    [
      `demo drop ready: "${event.name}" (${event.status}), event ${event.id}`,
      ...categories.map((c) => `  ${c.name}: ${c.capacity} seats, category ${c.id}`),
      'try it once the api is up:',
      `  curl -s ${base}/v1/events/${event.id}/availability`,
      `  curl -s -XPOST ${base}/v1/auth/register ${json} -d '{"email":"fan@example.com","password":"demo password"}'`,
      `  TOKEN=$(curl -s -XPOST ${base}/v1/auth/login ${json} -d '{"email":"fan@example.com","password":"demo password"}' | sed -E 's/.*"accessToken":"([^"]+)".*/\\1/')`,
      `  curl -s -XPOST ${base}/v1/reservations -H "authorization: Bearer $TOKEN" ${json} -d '{"eventId":"${event.id}","categoryId":"${first?.id}","quantity":2}'`,
      `the same drop behind a waiting room (5 admitted per second), event ${QUEUED_DEMO_EVENT_ID}:`,
      `  TICKET=$(curl -s -XPOST ${base}/v1/events/${QUEUED_DEMO_EVENT_ID}/queue -H "authorization: Bearer $TOKEN" | sed -nE 's/.*"ticket":"([^"]+)".*/\\1/p')`,
      `  PASS=$(curl -s ${base}/v1/events/${QUEUED_DEMO_EVENT_ID}/queue/me -H "authorization: Bearer $TOKEN" -H "queue-ticket: $TICKET" | sed -nE 's/.*"pass":"([^"]+)".*/\\1/p')`,
      `  curl -s -XPOST ${base}/v1/reservations -H "authorization: Bearer $TOKEN" -H "queue-pass: $PASS" ${json} -d '{"eventId":"${QUEUED_DEMO_EVENT_ID}","categoryId":"${QUEUED_DEMO_CATEGORY.id}","quantity":2}'`,
      `a presale behind a waiting room and a bot challenge, event ${PRESALE_DEMO_EVENT_ID}: joining needs a code (a new one: ${presaleCode}) and a solved challenge (good once):`,
      `  SOLUTION=$(node --import tsx tools/dev/solve-challenge.ts ${PRESALE_DEMO_EVENT_ID} ${base})`,
      `  curl -s -XPOST ${base}/v1/events/${PRESALE_DEMO_EVENT_ID}/queue -H "authorization: Bearer $TOKEN" -H "access-code: ${presaleCode}" -H "challenge-solution: $SOLUTION"`,
      `pick your seats (assigned seating), event ${SEATED_DEMO_EVENT_ID}: ${seatedCapacity} seats, no lone empty seat left; the map (static), the seats now (a available, h held, s sold, b blocked; 304 while unchanged), two seats by id, four adjacent ones the engine picks:`,
      `  SEATED=${base}/v1/events/${SEATED_DEMO_EVENT_ID}/categories/${SEATED_DEMO_CATEGORY.id}`,
      `  curl -s $SEATED/seat-map`,
      `  curl -s $SEATED/seats`,
      `  ETAG=$(curl -s -o /dev/null -D - $SEATED/seats | sed -nE 's/^etag: *([^[:space:]]+).*/\\1/ip')`,
      `  curl -s -o /dev/null -w '%{http_code}\\n' $SEATED/seats -H "if-none-match: $ETAG"`,
      `  curl -s -XPOST ${base}/v1/reservations -H "authorization: Bearer $TOKEN" ${json} -d '{${seatedIds},"seats":${JSON.stringify(DEMO_EXACT_SEATS)}}'`,
      `  curl -s -XPOST ${base}/v1/reservations -H "authorization: Bearer $TOKEN" ${json} -d '{${seatedIds},"quantity":4,"adjacent":true}'`,
    ].join('\n'),
  );
} finally {
  redis.disconnect();
  await sql.end({ timeout: 5 });
}
