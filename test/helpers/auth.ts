// Accounts for tests, made through the real HTTP routes.
import { randomUUID } from 'node:crypto';
import type { App } from '../../api/app.js';

export const uniqueEmail = (tag = 'user') => `${tag}-${randomUUID()}@example.test`;
export const PASSWORD = 'correct horse battery';

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  tokenType: string;
  expiresIn: number;
}

export const postJson = (
  app: App,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
) =>
  app.request(path, {
    method: 'POST',
    body: JSON.stringify(body),
    headers: { 'Content-Type': 'application/json', ...headers },
  });

export async function register(app: App, email = uniqueEmail(), password = PASSWORD) {
  const res = await postJson(app, '/v1/auth/register', { email, password });
  if (res.status !== 201) throw new Error(`register ${res.status}: ${await res.text()}`);
  return (await res.json()) as { id: string; email: string; role: string };
}

export async function login(app: App, email: string, password = PASSWORD, headers = {}) {
  const res = await postJson(app, '/v1/auth/login', { email, password }, headers);
  if (res.status !== 200) throw new Error(`login ${res.status}: ${await res.text()}`);
  return (await res.json()) as TokenPair;
}

/** A new user, signed in. */
export async function signedInUser(app: App) {
  const user = await register(app);
  return { ...user, ...(await login(app, user.email)) };
}

export const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
