// The committed migrations, applied to an empty database through the one migrate path,
// give the schema with its real constraints; applying them again changes nothing.
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMigrations } from '../../platform/db/migrate.js';
import { services } from '../helpers/services.js';

const name = `drop_mig_${process.pid}_${Date.now()}`;
let admin: postgres.Sql;
let db: postgres.Sql;
let url: string;

beforeAll(async () => {
  admin = postgres(services().databaseUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  const u = new URL(services().databaseUrl);
  u.pathname = `/${name}`;
  url = u.toString();
  db = postgres(url, { max: 2, onnotice: () => {} });
});
afterAll(async () => {
  // Close our own connections cleanly first: the forced drop would terminate them, and a
  // terminated connection's error could surface after the file is done.
  await db?.end();
  await admin?.unsafe(`drop database if exists ${name} with (force)`);
  await admin?.end({ timeout: 1 });
});

/** The SQLSTATE a statement fails with, or 'ok'. */
async function outcome(run: () => Promise<unknown>): Promise<string> {
  try {
    await run();
    return 'ok';
  } catch (err) {
    return (err as { code?: string }).code ?? String(err);
  }
}

describe('migrations on an empty database', () => {
  it('create every table of the schema, and a second run is a no-op', async () => {
    const before =
      await db`select count(*)::int as n from information_schema.tables where table_schema = 'public'`;
    expect(before[0]?.n).toBe(0);

    await runMigrations(url);
    const tables = await db`
      select table_name from information_schema.tables
      where table_schema = 'public' order by table_name`;
    expect(tables.map((t) => t.table_name)).toEqual([
      'access_codes',
      'audit_log',
      'comments',
      'event_marks',
      'events',
      'notifications',
      'refresh_tokens',
      'reservations',
      'ticket_categories',
      'users',
    ]);
    const ext = await db`select extname from pg_extension where extname = 'pg_trgm'`;
    expect(ext).toHaveLength(1);

    const applied = await db`select count(*)::int as n from drizzle.__drizzle_migrations`;
    await runMigrations(url);
    const again = await db`select count(*)::int as n from drizzle.__drizzle_migrations`;
    expect(again[0]?.n).toBe(applied[0]?.n);
    expect(applied[0]?.n).toBeGreaterThanOrEqual(2);
  });

  it('enforce the constraints the domain relies on', async () => {
    const [user] = await db`
      insert into users (email, password_hash) values ('fan@example.com', 'x') returning id`;
    const [event] = await db`
      insert into events (name, venue, starts_at) values ('Show', 'Hall', now()) returning id, status, per_user_limit`;
    expect(event?.status).toBe('draft');
    expect(event?.per_user_limit).toBe(10);
    const [category] = await db`
      insert into ticket_categories (event_id, name, price_cents, capacity)
      values (${event?.id}, 'GA', 1000, 100) returning id, currency`;
    expect(category?.currency).toBe('EUR');

    // unique email, stored normalised
    expect(
      await outcome(
        () => db`insert into users (email, password_hash) values ('fan@example.com', 'y')`,
      ),
    ).toBe('23505');
    expect(
      await outcome(
        () => db`insert into users (email, password_hash) values ('Fan@Example.com', 'y')`,
      ),
    ).toBe('23514');
    expect(
      await outcome(
        () => db`insert into users (email, password_hash, role) values ('a@b.c', 'y', 'root')`,
      ),
    ).toBe('23514');
    // statuses, capacity, quantities and ratings stay in range
    expect(await outcome(() => db`update events set status = 'sold' where id = ${event?.id}`)).toBe(
      '23514',
    );
    expect(
      await outcome(
        () => db`update events set ends_at = starts_at - interval '1 hour' where id = ${event?.id}`,
      ),
    ).toBe('23514');
    expect(
      await outcome(
        () => db`update ticket_categories set capacity = -1 where id = ${category?.id}`,
      ),
    ).toBe('23514');
    // a presale has an end; a challenge a positive difficulty; a code is issued once per event
    expect(
      await outcome(() => db`update events set presale_enabled = true where id = ${event?.id}`),
    ).toBe('23514');
    expect(
      await outcome(
        () => db`update events set bot_challenge_difficulty = 0 where id = ${event?.id}`,
      ),
    ).toBe('23514');
    const code = Buffer.alloc(32, 1);
    await db`insert into access_codes (event_id, code_hash) values (${event?.id}, ${code})`;
    expect(
      await outcome(
        () => db`insert into access_codes (event_id, code_hash) values (${event?.id}, ${code})`,
      ),
    ).toBe('23505');
    expect(
      await outcome(
        () => db`update ticket_categories set currency = 'eur' where id = ${category?.id}`,
      ),
    ).toBe('23514');
    expect(
      await outcome(
        () =>
          db`insert into ticket_categories (event_id, name, price_cents, capacity) values (${event?.id}, 'GA', 1, 1)`,
      ),
    ).toBe('23505');
    const reservation =
      (quantity: number, status: string, userId = user?.id) =>
      () =>
        db`insert into reservations (id, event_id, category_id, user_id, quantity, status, seq, expires_at)
         values (gen_random_uuid(), ${event?.id}, ${category?.id}, ${userId}, ${quantity}, ${status}, 1, now())`;
    expect(await outcome(reservation(2, 'held'))).toBe('ok');
    expect(await outcome(reservation(11, 'held'))).toBe('23514');
    expect(await outcome(reservation(1, 'pending'))).toBe('23514');
    // No foreign keys on reservations: the record takes every step Redis decided.
    expect(await outcome(reservation(1, 'held', '00000000-0000-0000-0000-000000000000'))).toBe(
      'ok',
    );
    const comment = (rating: number, text: string) => () =>
      db`insert into comments (event_id, user_id, rating, text) values (${event?.id}, ${user?.id}, ${rating}, ${text})`;
    expect(await outcome(comment(6, 'great'))).toBe('23514');
    expect(await outcome(comment(0, 'bad'))).toBe('23514');
    expect(await outcome(comment(5, ''))).toBe('23514');
    expect(await outcome(comment(5, 'x'.repeat(2001)))).toBe('23514');
    expect(await outcome(comment(5, 'great'))).toBe('ok');
    expect(await outcome(comment(4, 'again'))).toBe('23505');
    // ticket categories belong to an event
    expect(
      await outcome(
        () =>
          db`insert into ticket_categories (event_id, name, price_cents, capacity) values (gen_random_uuid(), 'X', 1, 1)`,
      ),
    ).toBe('23503');
    // notifications are deduplicated per change
    const notify = () =>
      db`insert into notifications (user_id, kind, dedupe_key) values (${user?.id}, 'reservation.confirmed', 'r1:3')`;
    expect(await outcome(notify)).toBe('ok');
    expect(await outcome(notify)).toBe('23505');
  });

  it('back the catalog name search with a trigram index', async () => {
    await db`insert into events (name, venue, starts_at)
             select 'Event ' || g, 'Hall', now() + g * interval '1 hour' from generate_series(1, 2000) g`;
    await db`analyze events`;
    const plan = await db.begin(async (tx) => {
      await tx`set local enable_seqscan = off`;
      return tx`explain select id from events where lower(name) like ${'%vent 19%'}`;
    });
    expect(plan.map((r) => r['QUERY PLAN']).join('\n')).toContain('events_name_trgm_idx');
  });
});
