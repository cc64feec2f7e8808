// The fault suite's setup: the fault kinds, the sizes and bounds of a run (FAULTS_USERS and
// FAULTS_CATEGORY_CAPACITY change its size), where its files go, what a run has started
// (for its next step and its clean-up), and the drop it sells.
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import type postgres from 'postgres';
import type { Engine } from '../helpers/engine.js';
import type { OwnRedis } from '../helpers/redis-server.js';
import {
  type Category,
  type DropClient,
  http,
  inPool,
  type Pace,
  type User,
} from './drop-client.js';

export type FaultKind = 'kill' | 'aof-cut' | 'total-loss';

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
export const USERS = env('FAULTS_USERS', 200);
export const CATEGORY_CAPACITY = env('FAULTS_CATEGORY_CAPACITY', 1000);
export const CATEGORIES = 2;
export const HOLD_TTL_SECONDS = 10;
/** Redis dies once the api has acknowledged this share of the seats as confirmed… */
export const KILL_AT_CONFIRMED_SHARE = 0.35;
/** …and the surge has run at least this long (so the AOF has seconds to cut). */
export const KILL_AFTER_MS = 4000;
/** How long Redis stays down (kill → start again). */
export const DOWN_MS = 1000;
/** Sales must be back this soon after Redis answers again. */
export const RESUME_WITHIN_MS = 30_000;
/** A paid fan hears of it within this long of Redis answering again (issue 25). */
export const NOTIFIED_WITHIN_MS = 10_000;
/** A buy-out round gives up after this long (it takes a few seconds when all is well). */
export const BUYOUT_ROUND_MS = 60_000;
export const PACE: Pace = {
  thinkMs: [1000, 4000],
  payMs: [50, 400],
  confirmShare: 0.75,
  releaseShare: 0.1,
  cancelShare: 0.06,
};
export const FAULTS_DIR = join(process.cwd(), '.stack', 'faults');

export interface Resources {
  redis?: OwnRedis;
  engine?: Engine;
  sql?: postgres.Sql;
  reader?: Redis;
  client?: DropClient;
  drop?: {
    eventId: string;
    categories: Category[];
    prober: User;
    known: { id: string; token: string };
    redisKeyPrefix: string;
  };
}

/**
 * The scenario's drop, made the operator's way over HTTP: an on-sale event of CATEGORIES
 * zones, and USERS + 1 signed-in users, the first of them the prober.
 */
export async function openDrop(
  base: string,
  operator: { email: string; password: string },
  kind: FaultKind,
  id: string,
) {
  const login = async (email: string, password: string) => {
    const r = await http(base, 'POST', '/v1/auth/login', undefined, { email, password });
    if (r.status !== 200) throw new Error(`login ${r.status} ${JSON.stringify(r.body)}`);
    return r.body.accessToken as string;
  };
  const admin = await login(operator.email, operator.password);
  const ev = await http(base, 'POST', '/v1/admin/events', admin, {
    name: `Fault drop ${kind} ${id}`,
    venue: 'Fault Hall',
    startsAt: new Date(Date.now() + 30 * 86_400_000).toISOString(),
    status: 'on_sale',
    holdTtlSeconds: HOLD_TTL_SECONDS,
    perUserLimit: 100,
  });
  if (ev.status !== 201) throw new Error(`create event ${ev.status} ${JSON.stringify(ev.body)}`);
  const eventId = ev.body.id as string;
  const categories: Category[] = [];
  for (let i = 0; i < CATEGORIES; i++) {
    const c = await http(base, 'POST', `/v1/admin/events/${eventId}/categories`, admin, {
      name: `Zone ${i + 1}`,
      priceCents: 5000,
      capacity: CATEGORY_CAPACITY,
    });
    if (c.status !== 201) throw new Error(`create category ${c.status} ${JSON.stringify(c.body)}`);
    categories.push({ id: c.body.id as string, capacity: CATEGORY_CAPACITY });
  }
  const capacity = CATEGORY_CAPACITY * CATEGORIES;
  const everyone: User[] = await inPool(
    Array.from({ length: USERS + 1 }, (_, i) => i),
    16,
    async (index) => {
      const email = `fault-${id}-${index}@example.test`;
      const password = 'fault user password';
      const r = await http(base, 'POST', '/v1/auth/register', undefined, { email, password });
      if (r.status !== 201) throw new Error(`register ${r.status} ${JSON.stringify(r.body)}`);
      return { index, id: r.body.id as string, token: await login(email, password) };
    },
  );
  const [prober, ...users] = everyone as [User, ...User[]];
  return { eventId, categories, capacity, prober, users };
}
