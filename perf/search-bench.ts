// `npm run perf:search`: GET /v1/events over 100,000 events, through the real app and
// Postgres (own database `drop_search_bench`, seeded once). Every query is distinct, so
// the catalog cache never answers: this measures the search itself. The baseline in the
// same run is a page browsed by date alone (the startsAt index, no name match).
import postgres from 'postgres';
import { createApp } from '../api/app.js';
import { createApiServices } from '../api/services.js';
import { loadConfigOrExit } from '../platform/config.js';
import { connectKafka, connectRedis } from '../platform/connect.js';
import { createSql } from '../platform/db/client.js';
import { runMigrations } from '../platform/db/migrate.js';
import { createLogger } from '../platform/logger.js';
import { createRegistry } from '../platform/metrics.js';

const EVENTS = Number(process.env.EVENTS ?? 100_000);
const QUERIES = Number(process.env.QUERIES ?? 300);
const WORDS = [
  'rock',
  'jazz',
  'live',
  'night',
  'festival',
  'opera',
  'tour',
  'summer',
  'acoustic',
  'classic',
  'electro',
  'indie',
  'gala',
  'session',
  'reunion',
  'open',
  'air',
  'arena',
  'club',
  'orchestra',
];

const base = loadConfigOrExit();
const url = new URL(base.DATABASE_URL);
url.pathname = '/drop_search_bench';
const admin = postgres(base.DATABASE_URL, { max: 1, onnotice: () => {} });
if ((await admin`select 1 from pg_database where datname = 'drop_search_bench'`).length === 0) {
  await admin.unsafe('create database drop_search_bench');
}
await admin.end();
await runMigrations(url.toString());

const config = loadConfigOrExit({
  ...process.env,
  DATABASE_URL: url.toString(),
  REDIS_KEY_PREFIX: `bench-search-${Date.now()}:`,
  LOG_LEVEL: 'warn',
  // Limits off, as in every benchmark.
  RATE_LIMIT_PER_IP: '0',
  RATE_LIMIT_PER_USER: '0',
});
const sql = createSql(config);
const [row] = await sql<{ n: number }[]>`select count(*)::int as n from events`;
const n = row?.n ?? 0;
if (n < EVENTS) {
  console.error(`seeding ${EVENTS - n} events...`);
  // Constant words, inlined: names like "Rock Night Arena #123".
  const words = `(array[${WORDS.map((w) => `'${w}'`).join(',')}])`;
  await sql.unsafe(`
    insert into events (name, venue, starts_at, status)
    select initcap(${words}[1 + (g * 7) % 20] || ' ' || ${words}[1 + (g * 13) % 20] || ' ' || ${words}[1 + (g * 3) % 20]) || ' #' || g,
           'Venue ' || (g % 500),
           timestamptz '2030-01-01' + (g % 1000) * interval '1 day' + (g % 24) * interval '1 hour',
           (array['on_sale','on_sale','on_sale','paused','closed','draft'])[1 + g % 6]
    from generate_series(${n + 1}, ${EVENTS}) g`);
  await sql`analyze events`;
}

const logger = createLogger(config, 'bench');
const [redis, { admin: kafkaAdmin }] = await Promise.all([
  connectRedis(config, logger),
  connectKafka(config, logger, 'bench'),
]);
const registry = createRegistry('api');
const services = await createApiServices(config, registry, { redis, sql }, logger);
const app = createApp({ ...services, kafkaAdmin, config, logger, registry, probes: {} });

async function measure(paths: string[]) {
  const times: number[] = [];
  for (const path of paths) {
    const t = performance.now();
    const res = await app.request(path);
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`${path}: ${res.status}`);
    times.push(performance.now() - t);
  }
  times.sort((x, y) => x - y);
  const at = (p: number) =>
    Number((times[Math.min(times.length - 1, Math.floor(p * times.length))] ?? 0).toFixed(2));
  return { queries: times.length, p50: at(0.5), p95: at(0.95), p99: at(0.99), max: at(1) };
}

const day = (i: number) => new Date(Date.UTC(2030, 0, 1) + (i % 900) * 86_400_000).toISOString();
const word = (i: number) => WORDS[(i * 7) % WORDS.length] as string;
// Warm the connections and the plans, outside the figures.
await measure(Array.from({ length: 20 }, (_, i) => `/v1/events?q=warm${i}`));
const baseline = await measure(
  Array.from({ length: QUERIES }, (_, i) => `/v1/events?from=${day(i)}&limit=20`),
);
const byName = await measure(
  Array.from({ length: QUERIES }, (_, i) => {
    // Common words (many matches), a word's start, and a rare one (a handful of matches:
    // where the trigram index earns its keep).
    const q = [`${word(i)} ${word(i + 1)}`, word(i).slice(0, 4), `#${(i * 337) % EVENTS}`][
      i % 3
    ] as string;
    const extra = i % 2 === 0 ? `&status=on_sale&from=${day(i)}` : `&from=${day(i)}`;
    return `/v1/events?q=${encodeURIComponent(q)}${extra}&limit=20`;
  }),
);
console.log(
  JSON.stringify(
    {
      events: EVENTS,
      baseline,
      search: byName,
      p95VsBaseline: Number((byName.p95 / baseline.p95).toFixed(2)),
    },
    null,
    2,
  ),
);

await services.cache.close();
services.loadShedder.stop();
redis.disconnect();
await kafkaAdmin.disconnect();
await sql.end({ timeout: 5 });
