// The one place that applies migrations (drizzle-kit output in drizzle/migrations).
// An advisory lock makes concurrent callers (several deploys, parallel test runs) take
// turns instead of racing on the same DDL.
import { drizzle } from 'drizzle-orm/postgres-js';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import { fromRoot } from '../paths.js';

export const MIGRATIONS_FOLDER = fromRoot('drizzle', 'migrations');
const MIGRATION_LOCK_ID = 727_001;

export async function runMigrations(
  databaseUrl: string,
  folder = MIGRATIONS_FOLDER,
): Promise<void> {
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {}, connect_timeout: 10 });
  try {
    await sql`select pg_advisory_lock(${MIGRATION_LOCK_ID})`;
    await migrate(drizzle(sql), { migrationsFolder: folder });
    await sql`select pg_advisory_unlock(${MIGRATION_LOCK_ID})`;
  } finally {
    await sql.end({ timeout: 5 });
  }
}
