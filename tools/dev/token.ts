// Access tokens for load tests, signed with the configured key (JWT_SECRET, ...).
//
//   npm run token -- --email fan@example.com
//       prints an access token for that existing user
//   npm run token -- --create-users 200 [--prefix load] [--password ...] [--out .stack/users.json]
//       creates load-test users load-0001@load.test ... (idempotent: existing ones are
//       reused), and writes [{email, userId, accessToken}] as JSON (stdout by default)
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { inArray } from 'drizzle-orm';
import { createAccessTokens } from '../../core/auth/access-tokens.js';
import { createPasswords } from '../../core/auth/passwords.js';
import { findUserByEmail } from '../../core/auth/users.js';
import { users } from '../../drizzle/schema/index.js';
import { loadConfigOrExit } from '../../platform/config.js';
import { createDb, createSql } from '../../platform/db/client.js';

const { values } = parseArgs({
  options: {
    email: { type: 'string' },
    'create-users': { type: 'string' },
    prefix: { type: 'string', default: 'load' },
    password: { type: 'string', default: 'load-test-password' },
    out: { type: 'string' },
  },
});

const config = loadConfigOrExit();
const sql = createSql(config);
const db = createDb(sql);
const tokens = await createAccessTokens(config);

function fail(message: string): never {
  console.error(message);
  process.exit(2);
}

try {
  if (values.email) {
    const user = await findUserByEmail(db, values.email);
    if (!user) fail(`no user with email ${values.email}`);
    console.log(await tokens.sign({ userId: user.id, role: user.role }));
  } else if (values['create-users']) {
    const count = Number(values['create-users']);
    if (!Number.isInteger(count) || count < 1 || count > 100_000) {
      fail('--create-users takes a count from 1 to 100000');
    }
    // One bcrypt hash for all: they share the password, and hashing 10k times is minutes.
    const passwordHash = await (await createPasswords(config.BCRYPT_COST)).hash(values.password);
    const emails = Array.from(
      { length: count },
      (_, i) => `${values.prefix}-${String(i + 1).padStart(5, '0')}@${values.prefix}.test`,
    );
    for (let i = 0; i < emails.length; i += 1000) {
      const chunk = emails.slice(i, i + 1000).map((email) => ({ email, passwordHash }));
      await db.insert(users).values(chunk).onConflictDoNothing();
    }
    const rows = await db
      .select({ id: users.id, email: users.email, role: users.role })
      .from(users)
      .where(inArray(users.email, emails));
    const out = await Promise.all(
      rows.map(async (u) => ({
        email: u.email,
        userId: u.id,
        accessToken: await tokens.sign({ userId: u.id, role: u.role }),
      })),
    );
    const json = JSON.stringify(out, null, 2);
    if (values.out) {
      writeFileSync(values.out, json);
      console.error(
        `${out.length} users with tokens written to ${values.out} (valid ${tokens.ttlSeconds} s)`,
      );
    } else {
      console.log(json);
    }
  } else {
    fail(
      'usage: npm run token -- --email <email> | --create-users <n> [--prefix p] [--password pw] [--out file]',
    );
  }
} finally {
  await sql.end({ timeout: 5 });
}
