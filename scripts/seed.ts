// `npm run seed`: a demo drop to try the engine with. Idempotent: fixed ids, upserts.
import { eq, sql as raw } from 'drizzle-orm';
import { loadConfigOrExit } from '../common/config.js';
import { createDb, createSql } from '../common/db/client.js';
import { events, ticketCategories } from '../drizzle/schema/index.js';

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
const sql = createSql(config);
try {
  const db = createDb(sql);
  const startsAt = new Date(Date.UTC(new Date().getUTCFullYear() + 1, 5, 21, 19, 0));
  await db
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
    .onConflictDoNothing();
  await db
    .insert(ticketCategories)
    .values(DEMO_CATEGORIES.map((c) => ({ ...c, eventId: DEMO_EVENT_ID, currency: 'EUR' })))
    .onConflictDoNothing();
  const [{ count } = { count: 0 }] = await db
    .select({ count: raw<number>`count(*)::int` })
    .from(ticketCategories)
    .where(eq(ticketCategories.eventId, DEMO_EVENT_ID));
  const base = `http://127.0.0.1:${config.PORT}`;
  console.log(
    [
      `demo drop ready: event ${DEMO_EVENT_ID} with ${count} categories`,
      'try it once the api is up:',
      `  curl -s ${base}/readyz`,
      `  curl -s ${base}/openapi.json | head -c 300`,
    ].join('\n'),
  );
} finally {
  await sql.end({ timeout: 5 });
}
