// Revocation of access tokens before their `exp`, on every api instance within a second and
// without a Redis round trip per request: a disabled account (POST
// /v1/admin/users/:id/disable), a refresh-token family revoked by reuse or logout.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp } from '../helpers/app.js';
import { bearer, PASSWORD, postJson, signedInUser } from '../helpers/auth.js';
import { adminToken, createDrop, send } from '../helpers/drop.js';
import { eventually, functionalConfig } from '../helpers/services.js';

type TestApp = Awaited<ReturnType<typeof buildTestApp>>;
let a: TestApp;
let b: TestApp;
let admin: string;

beforeAll(async () => {
  // Two api instances on one Redis and one Postgres, as in production.
  [a, b] = await Promise.all([buildTestApp(functionalConfig()), buildTestApp(functionalConfig())]);
  admin = await adminToken(a);
});
afterAll(async () => {
  await Promise.all([a?.close(), b?.close()]);
});

const me = (app: TestApp, token: string) => app.app.request('/v1/me', { headers: bearer(token) });
const disable = (id: string, token = admin) =>
  send(a.app, 'POST', `/v1/admin/users/${id}/disable`, token);

/** Polls until `check` holds, and returns how long that took. */
async function within(check: () => Promise<boolean>, what: string, timeoutMs = 1000) {
  const started = performance.now();
  await eventually(check, { timeoutMs, intervalMs: 10, what });
  return performance.now() - started;
}

describe('disabling an account', () => {
  it('voids its access tokens on every instance within a second; no sign-in, no refresh', async () => {
    const drop = await createDrop(a.app, admin, { capacity: 10 });
    const user = await signedInUser(a.app);
    // Both instances know the token (verified and cached), and it reserves.
    expect((await me(a, user.accessToken)).status).toBe(200);
    expect((await me(b, user.accessToken)).status).toBe(200);
    const held = await send(b.app, 'POST', '/v1/reservations', user.accessToken, {
      ...drop,
      quantity: 1,
    });
    expect(held.status).toBe(201);

    const res = await disable(user.id);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      id: user.id,
      email: user.email,
      role: 'user',
      disabled: true,
    });
    // The writing instance at once; the other within a second (pub/sub).
    expect((await me(a, user.accessToken)).status).toBe(401);
    const took = await within(
      async () => (await me(b, user.accessToken)).status === 401,
      'instance B refuses the token',
    );
    expect(took).toBeLessThan(1000);
    // Nothing it could do with the token any more: reserve, confirm, read.
    const reserve = await send(b.app, 'POST', '/v1/reservations', user.accessToken, {
      ...drop,
      quantity: 1,
    });
    expect(reserve.status).toBe(401);
    const { id } = (await held.json()) as { id: string };
    expect(
      (await send(b.app, 'POST', `/v1/reservations/${id}/confirm`, user.accessToken, {})).status,
    ).toBe(401);

    // No way back in: the right password and the refresh token are refused.
    const login = await postJson(a.app, '/v1/auth/login', {
      email: user.email,
      password: PASSWORD,
    });
    expect(login.status).toBe(401);
    expect(((await login.json()) as { code: string }).code).toBe('invalid_credentials');
    const refresh = await postJson(b.app, '/v1/auth/refresh', { refreshToken: user.refreshToken });
    expect(refresh.status).toBe(401);

    // Audited, and idempotent.
    const audit = await a.sql`
      select actor_id, target_id from audit_log where action = 'user.disabled' and target_id = ${user.id}`;
    expect(audit).toHaveLength(1);
    expect((await disable(user.id)).status).toBe(200);
  });

  it('is for admins only, 404 for an unknown account, never for oneself', async () => {
    const user = await signedInUser(a.app);
    expect((await disable(user.id, user.accessToken)).status).toBe(403);
    expect((await send(a.app, 'POST', `/v1/admin/users/${user.id}/disable`)).status).toBe(401);
    expect((await disable(randomUUID())).status).toBe(404);
    expect((await disable('not-a-uuid')).status).toBe(400);
    const self = (await (await me(a, admin)).json()) as { id: string };
    expect((await disable(self.id)).status).toBe(409);
    // The user was not touched by any of that.
    expect((await me(a, user.accessToken)).status).toBe(200);
  });

  it('reaches an instance that starts after the fact', async () => {
    const user = await signedInUser(a.app);
    expect((await disable(user.id)).status).toBe(200);
    const c = await buildTestApp(functionalConfig());
    try {
      expect((await me(c, user.accessToken)).status).toBe(401);
    } finally {
      await c.close();
    }
  });
});

describe('revoking a session family', () => {
  it('refresh-token reuse voids the access tokens of that family everywhere', async () => {
    const user = await signedInUser(a.app);
    const rotated = (await (
      await postJson(a.app, '/v1/auth/refresh', { refreshToken: user.refreshToken })
    ).json()) as { accessToken: string; refreshToken: string };
    // Another session of the same user, untouched by what follows.
    const other = (await (
      await postJson(a.app, '/v1/auth/login', { email: user.email, password: PASSWORD })
    ).json()) as { accessToken: string };
    for (const token of [user.accessToken, rotated.accessToken, other.accessToken]) {
      expect((await me(b, token)).status).toBe(200);
    }
    // The old refresh token again: theft. The family dies, its access tokens with it.
    expect(
      (await postJson(a.app, '/v1/auth/refresh', { refreshToken: user.refreshToken })).status,
    ).toBe(401);
    for (const token of [user.accessToken, rotated.accessToken]) {
      await within(async () => (await me(b, token)).status === 401, 'family token refused on B');
      expect((await me(a, token)).status).toBe(401);
    }
    expect((await me(b, other.accessToken)).status).toBe(200);
  });

  it('logout voids the access tokens of its session', async () => {
    const user = await signedInUser(a.app);
    expect((await me(b, user.accessToken)).status).toBe(200);
    const out = await postJson(a.app, '/v1/auth/logout', { refreshToken: user.refreshToken });
    expect(out.status).toBe(204);
    await within(async () => (await me(b, user.accessToken)).status === 401, 'token refused on B');
  });
});
