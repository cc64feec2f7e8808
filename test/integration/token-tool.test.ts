// The load-test token tool: creates users in bulk and prints tokens the api accepts.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp } from '../helpers/app.js';
import { bearer } from '../helpers/auth.js';
import { runEntry } from '../helpers/processes.js';
import { testConfig } from '../helpers/services.js';

let ctx: Awaited<ReturnType<typeof buildTestApp>>;
beforeAll(async () => {
  ctx = await buildTestApp(testConfig({ RATE_LIMIT_PER_IP: '0', RATE_LIMIT_PER_USER: '0' }));
});
afterAll(() => ctx?.close());

async function run(args: string[]) {
  const p = runEntry('tools/dev/token.ts', { BCRYPT_COST: '4', LOG_LEVEL: 'silent' }, args);
  const code = await p.exited;
  return { code, output: p.output() };
}

describe('npm run token', () => {
  it('creates N users idempotently and prints a token for each that the api accepts', async () => {
    const prefix = `lt${randomUUID().slice(0, 8)}`;
    const first = await run(['--create-users', '5', '--prefix', prefix]);
    expect(first.code).toBe(0);
    const users = JSON.parse(first.output) as {
      email: string;
      userId: string;
      accessToken: string;
    }[];
    expect(users.map((u) => u.email).sort()).toEqual(
      [1, 2, 3, 4, 5].map((i) => `${prefix}-0000${i}@${prefix}.test`),
    );
    for (const u of users) {
      const me = await ctx.app.request('/v1/me', { headers: bearer(u.accessToken) });
      expect(await me.json()).toMatchObject({ id: u.userId, email: u.email, role: 'user' });
    }
    const again = await run(['--create-users', '5', '--prefix', prefix]);
    const ids = (JSON.parse(again.output) as { userId: string }[]).map((u) => u.userId).sort();
    expect(ids).toEqual(users.map((u) => u.userId).sort());
  });

  it('prints a token for an existing email, and refuses an unknown one', async () => {
    const prefix = `lt${randomUUID().slice(0, 8)}`;
    const created = JSON.parse((await run(['--create-users', '1', '--prefix', prefix])).output) as {
      email: string;
      userId: string;
    }[];
    const one = await run(['--email', created[0]?.email as string]);
    expect(one.code).toBe(0);
    const me = await ctx.app.request('/v1/me', { headers: bearer(one.output.trim()) });
    expect(((await me.json()) as { id: string }).id).toBe(created[0]?.userId);

    const unknown = await run(['--email', `nobody-${prefix}@example.test`]);
    expect(unknown.code).toBe(2);
    expect(unknown.output).toContain('no user with email');
  });
});
