// A drop behind a waiting room, for the crowd-*.test.ts files (on the file's app, see
// useTestApp): its fans' polls, and how often the api ran a Lua script.
import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import { admin, ctx } from './app.js';
import { body, send } from './drop.js';

/** How often the api ran a Lua script so far, from its metrics. */
export async function scriptCalls(script: string): Promise<number> {
  const text = await ctx.metrics();
  const line = text
    .split('\n')
    .find((l) => l.startsWith(`redis_script_duration_seconds_count{script="${script}"}`));
  return line ? Number(line.split(' ').pop()) : 0;
}

export async function queuedDrop(admitPerSecond = 100, status: 'draft' | 'on_sale' = 'draft') {
  const event = await send(ctx.app, 'POST', '/v1/admin/events', admin, {
    name: `Crowd ${randomUUID().slice(0, 8)}`,
    venue: 'Arena',
    startsAt: new Date(Date.now() + 30 * 86_400_000).toISOString(),
    status,
    waitingRoom: { enabled: true, admitPerSecond },
  });
  expect(event.status).toBe(201);
  const eventId = (await body(event)).id as string;
  const category = await send(ctx.app, 'POST', `/v1/admin/events/${eventId}/categories`, admin, {
    name: 'GA',
    priceCents: 5000,
    capacity: 1000,
  });
  expect(category.status).toBe(201);
  return { eventId, categoryId: (await body(category)).id as string };
}

export const poll = (eventId: string, token: string, ticket?: string) =>
  send(
    ctx.app,
    'GET',
    `/v1/events/${eventId}/queue/me`,
    token,
    undefined,
    ticket === undefined ? {} : { 'Queue-Ticket': ticket },
  );
