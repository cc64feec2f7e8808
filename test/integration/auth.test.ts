// Accounts, access tokens and rotating refresh tokens, against real Postgres and Redis.
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireRole } from '../../api/auth/guards.js';
import { ensureAdmin } from '../../core/auth/users.js';
import { buildTestApp } from '../helpers/app.js';
import {
  bearer,
  login,
  PASSWORD,
  postJson,
  register,
  signedInUser,
  uniqueEmail,
} from '../helpers/auth.js';
import { testConfig } from '../helpers/services.js';

let ctx: Awaited<ReturnType<typeof buildTestApp>>;
const config = testConfig({
  BCRYPT_COST: '4',
  RATE_LIMIT_PER_IP: '0',
  RATE_LIMIT_PER_USER: '0',
  TRUST_PROXY: 'true',
  LOGIN_FAILURES_PER_MINUTE: '1000',
});

beforeAll(async () => {
  ctx = await buildTestApp(config);
  // An admin-only route, to check the role guard on its own.
  ctx.app.get('/v1/admin/guard-check', requireRole('admin'), (c) => c.json({ ok: true }));
});
afterAll(() => ctx?.close());

const get = (path: string, headers: Record<string, string> = {}) =>
  ctx.app.request(path, { headers });
const problemCode = async (res: Response) => ((await res.json()) as { code: string }).code;

describe('register', () => {
  it('creates a user with a normalised email and a bcrypt hash, never the password', async () => {
    const tag = randomUUID();
    const res = await postJson(ctx.app, '/v1/auth/register', {
      email: `  Fan.${tag}@Example.TEST `,
      password: PASSWORD,
    });
    expect(res.status).toBe(201);
    const user = (await res.json()) as Record<string, unknown>;
    expect(user).toEqual({
      id: expect.any(String),
      email: `fan.${tag}@example.test`,
      role: 'user',
    });
    const [row] = await ctx.sql`select password_hash from users where id = ${user.id as string}`;
    expect(row?.password_hash).toMatch(/^\$2[aby]\$04\$/);
    expect(row?.password_hash).not.toContain(PASSWORD);
  });

  it('refuses a taken email (whatever its case) with 409 email_taken', async () => {
    const email = uniqueEmail();
    await register(ctx.app, email);
    const res = await postJson(ctx.app, '/v1/auth/register', {
      email: email.toUpperCase(),
      password: PASSWORD,
    });
    expect(res.status).toBe(409);
    expect(await problemCode(res)).toBe('email_taken');
  });

  it('lists a bad email and a short or over-long password as validation errors', async () => {
    const res = await postJson(ctx.app, '/v1/auth/register', {
      email: 'not-an-email',
      password: 'short',
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { errors: { field: string }[] };
    expect(body.errors.map((e) => e.field).sort()).toEqual(['email', 'password']);
    const long = await postJson(ctx.app, '/v1/auth/register', {
      email: uniqueEmail(),
      password: 'é'.repeat(1025),
    });
    expect(long.status).toBe(400);
  });

  it('takes a password over bcrypt’s 72 bytes, every character of it counting', async () => {
    const email = uniqueEmail();
    const prefix = 'é'.repeat(40); // 80 bytes
    expect((await register(ctx.app, email, `${prefix} one`)).email).toBe(email);
    expect(
      (await postJson(ctx.app, '/v1/auth/login', { email, password: `${prefix} one` })).status,
    ).toBe(200);
    const other = await postJson(ctx.app, '/v1/auth/login', { email, password: `${prefix} two` });
    expect(other.status).toBe(401);
  });
});

describe('login', () => {
  it('returns a bearer access token and a refresh token', async () => {
    const user = await register(ctx.app);
    const pair = await login(ctx.app, user.email);
    expect(pair).toEqual({
      accessToken: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/),
      refreshToken: expect.stringMatching(/^[\w-]{43}$/),
      tokenType: 'Bearer',
      expiresIn: 900,
    });
    const me = await get('/v1/me', bearer(pair.accessToken));
    expect(me.status).toBe(200);
    expect(await me.json()).toEqual({ id: user.id, email: user.email, role: 'user' });
  });

  it('answers an unknown email exactly like a wrong password', async () => {
    const user = await register(ctx.app);
    const wrong = await postJson(ctx.app, '/v1/auth/login', {
      email: user.email,
      password: 'wrong password',
    });
    const unknown = await postJson(ctx.app, '/v1/auth/login', {
      email: uniqueEmail(),
      password: 'wrong password',
    });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    const strip = async (r: Response) => {
      const { requestId: _, ...rest } = (await r.json()) as Record<string, unknown>;
      return rest;
    };
    const wrongBody = await strip(wrong);
    expect(wrongBody.code).toBe('invalid_credentials');
    expect(await strip(unknown)).toEqual(wrongBody);
  });

  it('spends bcrypt time on an unknown email too', async () => {
    // Cost 10 makes one verification take milliseconds; without the decoy hash an unknown
    // email would answer many times faster than a wrong password.
    const slow = await buildTestApp({ ...config, BCRYPT_COST: 10 });
    try {
      const user = await register(slow.app);
      const median = async (email: string) => {
        const times: number[] = [];
        for (let i = 0; i < 5; i++) {
          const t = performance.now();
          await postJson(slow.app, '/v1/auth/login', { email, password: 'wrong password' });
          times.push(performance.now() - t);
        }
        return times.sort((a, b) => a - b)[2] as number;
      };
      const known = await median(user.email);
      const unknown = await median(uniqueEmail());
      expect(unknown).toBeGreaterThan(known * 0.5);
    } finally {
      await slow.close();
    }
  });

  it('records logins in the audit log', async () => {
    const user = await register(ctx.app);
    await login(ctx.app, user.email);
    await postJson(ctx.app, '/v1/auth/login', { email: user.email, password: 'nope nope' });
    const rows = await ctx.sql`
      select action from audit_log where target_id = ${user.id} order by created_at`;
    expect(rows.map((r) => r.action)).toEqual(['auth.login_succeeded', 'auth.login_failed']);
  });
});

describe('access tokens', () => {
  let user: Awaited<ReturnType<typeof signedInUser>>;
  const secret = new TextEncoder().encode(config.JWT_SECRET);
  const claims = () => ({ role: 'user' });
  const forge = (key: Uint8Array, edit: (jwt: SignJWT) => SignJWT = (j) => j) =>
    edit(
      new SignJWT(claims())
        .setProtectedHeader({ alg: 'HS256' })
        .setIssuer(config.JWT_ISSUER)
        .setAudience(config.JWT_AUDIENCE)
        .setSubject(user.id)
        .setIssuedAt()
        .setJti(randomUUID())
        .setExpirationTime('5m'),
    ).sign(key);

  beforeAll(async () => {
    user = await signedInUser(ctx.app);
  });

  const meStatus = async (token: string) => (await get('/v1/me', bearer(token))).status;

  it('accepts a token made the same way with the right key (the forging helper is sound)', async () => {
    expect(await meStatus(await forge(secret))).toBe(200);
  });

  it('refuses a missing, malformed or foreign token with 401 and WWW-Authenticate', async () => {
    const none = await get('/v1/me');
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toContain('Bearer');
    expect(await problemCode(none)).toBe('unauthorized');
    expect(await meStatus('garbage')).toBe(401);
    expect(
      await meStatus(
        await forge(new TextEncoder().encode('another-secret-of-at-least-32-bytes!!')),
      ),
    ).toBe(401);
  });

  it('refuses expired tokens, wrong issuer or audience, and missing claims', async () => {
    const past = Math.floor(Date.now() / 1000) - 60;
    expect(await meStatus(await forge(secret, (j) => j.setExpirationTime(past)))).toBe(401);
    expect(await meStatus(await forge(secret, (j) => j.setIssuer('someone-else')))).toBe(401);
    expect(await meStatus(await forge(secret, (j) => j.setAudience('another-api')))).toBe(401);
    const noJti = await new SignJWT(claims())
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(config.JWT_ISSUER)
      .setAudience(config.JWT_AUDIENCE)
      .setSubject(user.id)
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(secret);
    expect(await meStatus(noJti)).toBe(401);
  });

  it('refuses alg:none and a tampered payload', async () => {
    const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    const payload = {
      sub: user.id,
      role: 'admin',
      iss: config.JWT_ISSUER,
      aud: config.JWT_AUDIENCE,
      iat: now,
      exp: now + 300,
      jti: randomUUID(),
    };
    expect(await meStatus(`${b64({ alg: 'none', typ: 'JWT' })}.${b64(payload)}.`)).toBe(401);

    const [header, , signature] = user.accessToken.split('.');
    const tampered = `${header}.${b64(payload)}.${signature}`;
    expect(await meStatus(tampered)).toBe(401);
    // The genuine token, verified before and cached, still works; the cache is by token.
    expect(await meStatus(user.accessToken)).toBe(200);
  });
});

describe('roles', () => {
  it('lets an admin through, refuses a user with 403 and no token with 401', async () => {
    const adminEmail = uniqueEmail('admin');
    await ensureAdmin(ctx.services.db, ctx.services.passwords, adminEmail, 'admin password 1');
    const admin = await login(ctx.app, adminEmail, 'admin password 1');
    const user = await signedInUser(ctx.app);

    expect((await get('/v1/admin/guard-check', bearer(admin.accessToken))).status).toBe(200);
    const forbidden = await get('/v1/admin/guard-check', bearer(user.accessToken));
    expect(forbidden.status).toBe(403);
    expect(await problemCode(forbidden)).toBe('forbidden');
    expect((await get('/v1/admin/guard-check')).status).toBe(401);
  });

  it('ensures the admin idempotently, promoting and re-keying an existing account', async () => {
    const email = uniqueEmail('boss');
    const { db, passwords } = ctx.services;
    const [a, b] = await Promise.all([
      ensureAdmin(db, passwords, email, 'first password'),
      ensureAdmin(db, passwords, email, 'first password'),
    ]);
    expect(a.id).toBe(b.id);
    expect(a.role).toBe('admin');

    const plain = await register(ctx.app);
    const promoted = await ensureAdmin(db, passwords, plain.email, 'the admin password');
    expect(promoted).toMatchObject({ id: plain.id, role: 'admin' });
    await login(ctx.app, plain.email, 'the admin password');
    const old = await postJson(ctx.app, '/v1/auth/login', {
      email: plain.email,
      password: PASSWORD,
    });
    expect(old.status).toBe(401);
  });
});

describe('refresh tokens', () => {
  const refresh = (refreshToken: string) => postJson(ctx.app, '/v1/auth/refresh', { refreshToken });

  it('rotates: the new pair works, the old refresh token does not', async () => {
    const user = await signedInUser(ctx.app);
    const res = await refresh(user.refreshToken);
    expect(res.status).toBe(200);
    const next = (await res.json()) as { accessToken: string; refreshToken: string };
    expect(next.refreshToken).not.toBe(user.refreshToken);
    expect((await get('/v1/me', bearer(next.accessToken))).status).toBe(200);

    const again = await refresh(next.refreshToken);
    expect(again.status).toBe(200);
  });

  it('revokes the whole family when a rotated token is presented again', async () => {
    const user = await signedInUser(ctx.app);
    const next = (await (await refresh(user.refreshToken)).json()) as { refreshToken: string };
    const reuse = await refresh(user.refreshToken);
    expect(reuse.status).toBe(401);
    expect(await problemCode(reuse)).toBe('unauthorized');
    // The thief's or the owner's newer token is dead too.
    expect((await refresh(next.refreshToken)).status).toBe(401);
    const audit = await ctx.sql`
      select count(*)::int as n from audit_log where action = 'auth.refresh_reused' and actor_id = ${user.id}`;
    expect(audit[0]?.n).toBe(1);
  });

  it('lets exactly one of 50 parallel refreshes of one token win', async () => {
    const user = await signedInUser(ctx.app);
    const results = await Promise.all(Array.from({ length: 50 }, () => refresh(user.refreshToken)));
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 401)).toHaveLength(49);
    // The 49 were reuse: the family, the winner's new token included, is revoked.
    const winner = results.find((r) => r.status === 200) as Response;
    const { refreshToken } = (await winner.json()) as { refreshToken: string };
    expect((await refresh(refreshToken)).status).toBe(401);
    const live = await ctx.sql`
      select count(*)::int as n from refresh_tokens where user_id = ${user.id} and revoked_at is null`;
    expect(live[0]?.n).toBe(0);
  });

  it('logout revokes the token; unknown tokens log out quietly', async () => {
    const user = await signedInUser(ctx.app);
    const out = await postJson(ctx.app, '/v1/auth/logout', { refreshToken: user.refreshToken });
    expect(out.status).toBe(204);
    expect((await refresh(user.refreshToken)).status).toBe(401);
    expect((await postJson(ctx.app, '/v1/auth/logout', { refreshToken: 'unknown' })).status).toBe(
      204,
    );
    expect((await refresh('unknown')).status).toBe(401);
  });
});
