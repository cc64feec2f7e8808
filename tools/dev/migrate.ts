// `npm run migrate`: applies the committed drizzle migrations to DATABASE_URL, once.
import { loadConfigOrExit } from '../../platform/config.js';
import { redactUrl } from '../../platform/connect.js';
import { runMigrations } from '../../platform/db/migrate.js';

const config = loadConfigOrExit();
try {
  await runMigrations(config.DATABASE_URL);
  console.log(`migrations applied to ${redactUrl(config.DATABASE_URL)}`);
} catch (err) {
  console.error(`migration failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
