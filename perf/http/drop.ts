// The drop a benchmark sells: load-test users with access tokens (tools/dev/token.ts, the
// tool k6 uses too) and an on-sale event with one category, made through the admin API.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Config } from '../../platform/config.js';

export interface BenchDrop {
  /** the admin's access token */
  admin: string;
  eventId: string;
  categoryId: string;
  capacity: number;
  /** One `Bearer …` header value per user. */
  authorizations: string[];
  /** The same users with their ids (a hold's answer names its owner by id). */
  users: { userId: string; authorization: string }[];
}

async function call(url: string, init: RequestInit & { token?: string; body?: string }) {
  const res = await fetch(url, {
    ...init,
    headers: {
      'content-type': 'application/json',
      ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
    },
  });
  const body = (await res.json()) as Record<string, unknown>;
  if (!res.ok) throw new Error(`${init.method} ${url}: ${res.status} ${JSON.stringify(body)}`);
  return body;
}

export async function prepareDrop(
  api: string,
  config: Config,
  {
    users,
    capacity,
    usersFile = '.stack/bench-users.json',
  }: { users: number; capacity: number; usersFile?: string },
): Promise<BenchDrop> {
  execFileSync(
    process.execPath,
    [
      '--import',
      'tsx',
      'tools/dev/token.ts',
      '--create-users',
      String(users),
      '--prefix',
      'bench',
      '--out',
      usersFile,
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const tokens = JSON.parse(readFileSync(usersFile, 'utf8')) as {
    userId: string;
    accessToken: string;
  }[];
  const { accessToken } = await call(`${api}/v1/auth/login`, {
    method: 'POST',
    body: JSON.stringify({ email: config.ADMIN_EMAIL, password: config.ADMIN_PASSWORD }),
  });
  const admin = accessToken as string;
  const { eventId, categoryId } = await createEvent(api, admin, capacity);
  return {
    admin,
    eventId,
    categoryId,
    capacity,
    authorizations: tokens.map((t) => `Bearer ${t.accessToken}`),
    users: tokens.map((t) => ({ userId: t.userId, authorization: `Bearer ${t.accessToken}` })),
  };
}

/** An on-sale event with one category, made through the admin API. */
async function createEvent(
  api: string,
  admin: string,
  capacity: number,
  waitingRoom?: { enabled: true; admitPerSecond: number },
) {
  const event = await call(`${api}/v1/admin/events`, {
    method: 'POST',
    token: admin,
    body: JSON.stringify({
      name: `Bench drop ${new Date().toISOString()}`,
      venue: 'Bench Hall',
      startsAt: new Date(Date.now() + 86_400_000).toISOString(),
      status: 'on_sale',
      holdTtlSeconds: 3600,
      perUserLimit: 1000,
      waitingRoom,
    }),
  });
  const category = await call(`${api}/v1/admin/events/${event.id}/categories`, {
    method: 'POST',
    token: admin,
    body: JSON.stringify({ name: 'GA', priceCents: 5000, capacity }),
  });
  return { eventId: event.id as string, categoryId: category.id as string };
}

/**
 * The crowd's side of a drop: a waiting room every bench user has joined and waits in (one
 * admitted a second), with each fan's Queue-Ticket; and a sold-out category, the request a
 * crowd repeats once a drop is gone.
 */
export async function prepareCrowd(api: string, drop: BenchDrop) {
  const queued = await createEvent(api, drop.admin, 1000, { enabled: true, admitPerSecond: 1 });
  const tickets: string[] = [];
  for (let i = 0; i < drop.users.length; i += 100) {
    const batch = drop.users.slice(i, i + 100);
    const joined = await Promise.all(
      batch.map(async ({ authorization }) => {
        const res = await fetch(`${api}/v1/events/${queued.eventId}/queue`, {
          method: 'POST',
          headers: { authorization },
        });
        const body = (await res.json()) as { ticket?: string };
        if (!body.ticket) throw new Error(`join: ${res.status} ${JSON.stringify(body)}`);
        return body.ticket;
      }),
    );
    tickets.push(...joined);
  }
  const soldOut = await createEvent(api, drop.admin, 1);
  const [first] = drop.users;
  if (!first) throw new Error('no bench users');
  const res = await fetch(`${api}/v1/reservations`, {
    method: 'POST',
    headers: { authorization: first.authorization, 'content-type': 'application/json' },
    body: JSON.stringify({ ...soldOut, quantity: 1 }),
  });
  if (res.status !== 201) throw new Error(`the last seat: ${res.status} ${await res.text()}`);
  return {
    queueEventId: queued.eventId,
    /** "<authorization>\t<ticket>" per fan */
    polls: drop.users.map((u, i) => `${u.authorization}\t${tickets[i]}\n`).join(''),
    soldOutBody: JSON.stringify({ ...soldOut, quantity: 1 }),
  };
}

/**
 * A stadium-sized seated category on the drop's event (200 rows of 300: 60,000 seats, SPEC
 * §8): the seat status a crowd polls. Returns its status URL.
 */
export async function prepareSeatedCategory(api: string, drop: BenchDrop): Promise<string> {
  const rows = Array.from({ length: 200 }, (_, i) => ({ name: `R${i + 1}`, seats: 300 }));
  const category = await call(`${api}/v1/admin/events/${drop.eventId}/categories`, {
    method: 'POST',
    token: drop.admin,
    body: JSON.stringify({
      name: 'Stadium',
      priceCents: 7000,
      seatMap: { sections: [{ name: 'Bowl', rows }] },
    }),
  });
  return `${api}/v1/events/${drop.eventId}/categories/${category.id as string}/seats`;
}
