// The pipeline tests that run no log-channel delivery loop, so they may run beside
// pipeline.test.ts: a webhook delivered once after its receiver failed, and a relay's
// outbox handed over after a SIGKILL.
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { signWebhook, webhookChannel } from '../../worker/notifications.js';
import { buildTestApp, ctx, redis } from '../helpers/app.js';
import { signedInUser } from '../helpers/auth.js';
import { adminToken, createDrop, send } from '../helpers/drop.js';
import {
  buyTickets,
  caughtUp,
  isolatedConfig,
  startConsumers,
  startRelay,
  usePipelineApp,
} from '../helpers/pipeline.js';
import { runEntry } from '../helpers/processes.js';
import { eventually } from '../helpers/services.js';

const config = usePipelineApp();

describe('outbox → Kafka → Postgres', () => {
  it('delivers a webhook once after its receiver failed three times, signed', async () => {
    const calls: { status: number; body: string; signature: string; timestamp: string }[] = [];
    const receiver = createServer((req: IncomingMessage, res) => {
      let raw = '';
      req.on('data', (d) => {
        raw += d;
      });
      req.on('end', () => {
        const status = calls.length < 3 ? 503 : 200;
        calls.push({
          status,
          body: raw,
          signature: String(req.headers['x-drop-signature']),
          timestamp: String(req.headers['x-drop-timestamp']),
        });
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    const secret = 'test-webhook-secret-123';
    // Its own topic prefix: this file's other consumers must not take these messages.
    const isolated = {
      ...isolatedConfig(config, 'hook'),
      NOTIFY_CHANNEL: 'webhook' as const,
      NOTIFY_RETRY_BASE_MS: 20,
      NOTIFY_MAX_ATTEMPTS: 6,
    };
    const app = await buildTestApp(isolated);
    const relay = await startRelay(isolated, redis);
    const consumers = await startConsumers(isolated, ctx.sql, webhookChannel(url, secret));
    try {
      const drop = await createDrop(app.app, await adminToken(app), { capacity: 10 });
      const user = await signedInUser(app.app);
      const [id] = await buyTickets(app.app, user.accessToken, drop, 1);
      await eventually(async () => calls.some((c) => c.status === 200), {
        timeoutMs: 15_000,
        what: 'a delivery',
      });
      // Let any duplicate show up: every pending notification is delivered by now.
      await caughtUp(isolated);
      const [row] =
        await ctx.sql`select status, attempts from notifications where reservation_id = ${id as string}`;
      expect(row).toEqual({ status: 'sent', attempts: 4 });
      expect(calls.map((c) => c.status)).toEqual([503, 503, 503, 200]);
      const ok = calls[3] as (typeof calls)[number];
      expect(ok.signature).toBe(signWebhook(secret, ok.timestamp, ok.body));
      expect(JSON.parse(ok.body)).toMatchObject({
        userId: user.id,
        kind: 'reservation.confirmed',
        payload: { reservationId: id },
      });
    } finally {
      await relay.stop();
      await consumers.stop();
      await app.close();
      receiver.close();
    }
  });
});

describe('faults', () => {
  it('a relay killed with SIGKILL hands its outbox to another within 2 s', async () => {
    const isolated = isolatedConfig(config, 'fo');
    const app = await buildTestApp(isolated);
    const env = {
      KAFKA_TOPIC_PREFIX: isolated.KAFKA_TOPIC_PREFIX,
      REDIS_KEY_PREFIX: isolated.REDIS_KEY_PREFIX,
    };
    const reapers = [runEntry('reaper/main.ts', env), runEntry('reaper/main.ts', env)];
    try {
      const drop = await createDrop(app.app, await adminToken(app), { capacity: 10 });
      const user = await signedInUser(app.app);
      const tag = `${isolated.REDIS_KEY_PREFIX}{ev:${drop.eventId}}`;
      const reserve = () =>
        send(app.app, 'POST', '/v1/reservations', user.accessToken, { ...drop, quantity: 1 });
      const relayed = () =>
        eventually(async () => (await redis.xlen(`${tag}:outbox`)) === 0, {
          timeoutMs: 30_000,
          intervalMs: 20,
          what: 'the outbox relayed',
        });
      expect((await reserve()).status).toBe(201);
      await relayed();
      // The lease names its owner: host:pid:nonce.
      const owner = (await redis.get(`${tag}:outbox:lease`)) ?? '';
      const dying = reapers.find((r) => owner.split(':')[1] === String(r.child.pid));
      expect(dying).toBeDefined();
      dying?.child.kill('SIGKILL');
      expect(await dying?.exited).toBe('SIGKILL');
      const killedAt = Date.now();
      expect((await reserve()).status).toBe(201);
      await relayed();
      const failoverMs = Date.now() - killedAt;
      console.log(`relay failover: the change left the outbox ${failoverMs} ms after the kill`);
      expect(failoverMs).toBeLessThan(2000);
    } finally {
      for (const r of reapers) r.child.kill('SIGKILL');
      await app.close();
    }
  }, 120_000);
});
