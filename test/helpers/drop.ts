// A drop set up the way an operator does it: an admin creates the event and its
// categories through the admin routes.
import { randomUUID } from 'node:crypto';
import type { App } from '../../api/app.js';
import { ensureAdmin } from '../../core/auth/users.js';
import type { buildTestApp } from './app.js';
import { bearer, login, postJson, uniqueEmail } from './auth.js';

type TestApp = Awaited<ReturnType<typeof buildTestApp>>;
export type Json = Record<string, unknown>;
export const body = async (res: Response) => (await res.json()) as Json;

export async function adminToken(ctx: TestApp): Promise<string> {
  const email = uniqueEmail('admin');
  await ensureAdmin(ctx.services.db, ctx.services.passwords, email, 'admin password 1');
  return (await login(ctx.app, email, 'admin password 1')).accessToken;
}

export async function send(
  app: App,
  method: string,
  path: string,
  token?: string,
  body?: unknown,
  headers = {},
) {
  return app.request(path, {
    method,
    headers: {
      ...(token ? bearer(token) : {}),
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

export async function createDrop(
  app: App,
  admin: string,
  opts: {
    capacity?: number;
    perUserLimit?: number;
    holdTtlSeconds?: number;
    status?: 'draft' | 'on_sale' | 'paused';
    categoryLimit?: number;
  } = {},
) {
  const eventRes = await postJson(
    app,
    '/v1/admin/events',
    {
      name: `Drop ${randomUUID().slice(0, 8)}`,
      venue: 'Test Hall',
      startsAt: new Date(Date.now() + 30 * 86_400_000).toISOString(),
      status: opts.status ?? 'on_sale',
      perUserLimit: opts.perUserLimit,
      holdTtlSeconds: opts.holdTtlSeconds,
    },
    bearer(admin),
  );
  if (eventRes.status !== 201)
    throw new Error(`create event ${eventRes.status}: ${await eventRes.text()}`);
  const event = (await eventRes.json()) as { id: string };
  const catRes = await postJson(
    app,
    `/v1/admin/events/${event.id}/categories`,
    {
      name: 'GA',
      priceCents: 5000,
      capacity: opts.capacity ?? 100,
      perUserLimit: opts.categoryLimit,
    },
    bearer(admin),
  );
  if (catRes.status !== 201)
    throw new Error(`create category ${catRes.status}: ${await catRes.text()}`);
  const category = (await catRes.json()) as { id: string };
  return { eventId: event.id, categoryId: category.id };
}
