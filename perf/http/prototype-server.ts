// The second baseline of `npm run perf:http`, the ceiling: a bare prototype of the reserve
// path. The same server stack as the hello-world (Hono on @hono/node-server) and one Lua
// script through ioredis (perf/http/prototype/reserve.lua: stock counter, TIME, the hold hash,
// the expiry entry, the outbox entry), with none of the api's middleware, auth, validation
// or checks. POST /reserve {eventId, categoryId, quantity} → 201 {id, expiresAt}.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { Redis } from 'ioredis';
import { prototypeKeys } from './prototype/keys.js';

const STOCK = 1_000_000_000_000;
const TTL_MS = 3_600_000;

type Reply = [code: number, expiresAt: number, createdAt: number];
interface PrototypeRedis extends Redis {
  /** KEYS stock, hold, expiry, outbox; ARGV holdId, eventId, categoryId, quantity, ttlMs */
  protoReserve(...keysThenArgs: (string | number)[]): Promise<Reply>;
}

const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6390') as PrototypeRedis;
redis.defineCommand('protoReserve', {
  numberOfKeys: 4,
  lua: readFileSync(new URL('./prototype/reserve.lua', import.meta.url), 'utf8'),
});
const keys = prototypeKeys(process.env.REDIS_KEY_PREFIX);
await redis.set(keys.stock, STOCK);

const app = new Hono();
app.post('/reserve', async (c) => {
  const body = await c.req.json<{ eventId: string; categoryId: string; quantity: number }>();
  const id = randomUUID();
  const [code, expiresAt] = await redis.protoReserve(
    keys.stock,
    keys.hold(id),
    keys.expiry,
    keys.outbox,
    id,
    body.eventId,
    body.categoryId,
    body.quantity,
    TTL_MS,
  );
  if (code !== 1) return c.json({ error: 'sold_out' }, 409);
  return c.json({ id, expiresAt: new Date(expiresAt).toISOString() }, 201);
});
app.get('/', (c) => c.text('ok'));

serve({ fetch: app.fetch, hostname: '127.0.0.1', port: Number(process.env.PORT) });
