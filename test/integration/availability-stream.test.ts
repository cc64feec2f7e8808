// The availability stream (SSE) over a real socket against real Redis: the document at
// once, every change within 1 s (coalesced), resume with Last-Event-ID without a
// duplicate, the per-user limit, and the final event on shutdown. The bytes on the wire are
// those Hono's streamSSE sent before the stream was written on Node's response (api/sse.ts).
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AvailabilitySnapshot } from '../../api/availability.js';
import { AvailabilityEventStream } from '../../api/sse.js';
import { buildTestApp } from '../helpers/app.js';
import { bearer, postJson, signedInUser } from '../helpers/auth.js';
import { adminToken, body, createDrop, send } from '../helpers/drop.js';
import { functionalConfig } from '../helpers/services.js';

type TestApp = Awaited<ReturnType<typeof buildTestApp>>;
let a: TestApp;
let admin: string;

beforeAll(async () => {
  a = await buildTestApp(
    functionalConfig({ AVAILABILITY_STREAM_MS: '100', AVAILABILITY_STREAM_MAX_PER_USER: '2' }),
  );
  admin = await adminToken(a);
});
afterAll(async () => {
  await a?.close();
});

interface SseEvent {
  event: string;
  id?: string;
  data: string;
  at: number;
}

/** An open stream: its events as they come, and a way to wait for the next matching one. */
async function openStream(path: string, headers: Record<string, string> = {}) {
  const controller = new AbortController();
  const res = await fetch(`${a.baseUrl}${path}`, { headers, signal: controller.signal });
  const events: SseEvent[] = [];
  let ended = false;
  const waiters: (() => void)[] = [];
  const wake = () => {
    for (const w of waiters.splice(0)) w();
  };
  if (res.ok && res.body) {
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    void (async () => {
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          buffer += decoder.decode(value, { stream: true });
          let cut = buffer.indexOf('\n\n');
          while (cut >= 0) {
            const block = buffer.slice(0, cut);
            buffer = buffer.slice(cut + 2);
            const e: SseEvent = { event: 'message', data: '', at: Date.now() };
            let isEvent = false;
            for (const line of block.split('\n')) {
              if (line.startsWith(':')) continue;
              const [field, ...rest] = line.split(':');
              const value = rest.join(':').replace(/^ /, '');
              if (field === 'event') e.event = value;
              if (field === 'id') e.id = value;
              if (field === 'data') e.data += value;
              isEvent = true;
            }
            if (isEvent) events.push(e);
            cut = buffer.indexOf('\n\n');
          }
          wake();
        }
      } catch {
        // aborted by the test
      } finally {
        ended = true;
        wake();
      }
    })();
  }
  /** The first event from index `from` on that matches, within `timeoutMs`. */
  async function next(match: (e: SseEvent) => boolean, from = 0, timeoutMs = 1000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = events.slice(from).find(match);
      if (found) return found;
      if (ended) throw new Error('the stream ended');
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no matching event within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        waiters.push(resolve);
        setTimeout(resolve, left).unref();
      });
    }
  }
  return { res, events, next, close: () => controller.abort(), isEnded: () => ended };
}

const availableOf = (e: SseEvent) =>
  (JSON.parse(e.data) as { categories: { available: number }[] }).categories[0]?.available;

describe('GET /v1/events/:id/availability/stream', () => {
  it('sends the document at once, then each change within 1 s, coalesced', async () => {
    const drop = await createDrop(a.app, admin, { capacity: 50, perUserLimit: 50 });
    const fan = await signedInUser(a.app);
    const stream = await openStream(`/v1/events/${drop.eventId}/availability/stream`);
    expect(stream.res.status).toBe(200);
    expect(stream.res.headers.get('content-type')).toContain('text/event-stream');
    const first = await stream.next((e) => e.event === 'availability');
    expect(availableOf(first)).toBe(50);
    expect(first.id).toMatch(/^[\w-]+$/);

    const reservedAt = Date.now();
    expect(
      (await send(a.app, 'POST', '/v1/reservations', fan.accessToken, { ...drop, quantity: 3 }))
        .status,
    ).toBe(201);
    const changed = await stream.next((e) => availableOf(e) === 47, 1, 1000);
    expect(changed.at - reservedAt).toBeLessThan(1000);

    // A burst of 20 changes arrives as a few messages, not 20; the last one is exact.
    const before = stream.events.length;
    await Promise.all(
      Array.from({ length: 20 }, () =>
        send(a.app, 'POST', '/v1/reservations', fan.accessToken, { ...drop, quantity: 1 }),
      ),
    );
    await stream.next((e) => availableOf(e) === 27, before, 1000);
    expect(stream.events.length - before).toBeLessThan(10);
    stream.close();
  });

  it('tells a seated category’s seat changes within 1 s, even when its counts end as they were', async () => {
    const created = await postJson(
      a.app,
      '/v1/admin/events',
      {
        name: `Seated stream ${randomUUID().slice(0, 8)}`,
        venue: 'Theatre',
        startsAt: new Date(Date.now() + 30 * 86_400_000).toISOString(),
        status: 'on_sale',
      },
      bearer(admin),
    );
    const eventId = (await body(created)).id as string;
    const category = await postJson(
      a.app,
      `/v1/admin/events/${eventId}/categories`,
      {
        name: 'Stalls',
        priceCents: 5000,
        seatMap: { sections: [{ name: 'S', rows: [{ name: 'A', seats: 8 }] }] },
      },
      bearer(admin),
    );
    const categoryId = (await body(category)).id as string;
    const seatsVersionOf = (e: SseEvent) =>
      (JSON.parse(e.data) as { categories: { seatsVersion?: number }[] }).categories[0]
        ?.seatsVersion;
    const stream = await openStream(`/v1/events/${eventId}/availability/stream`);
    const first = await stream.next((e) => e.event === 'availability');
    expect([availableOf(first), seatsVersionOf(first)]).toEqual([8, 0]);

    // A seat held and given back: the counts end where they began, the seats moved twice.
    const fan = await signedInUser(a.app);
    const changedAt = Date.now();
    const held = await send(a.app, 'POST', '/v1/reservations', fan.accessToken, {
      eventId,
      categoryId,
      seats: ['S-A-4'],
    });
    expect(held.status).toBe(201);
    const holdId = (await body(held)).id as string;
    expect(
      (await send(a.app, 'DELETE', `/v1/reservations/${holdId}`, fan.accessToken)).status,
    ).toBe(200);
    const seats = await body(
      await send(a.app, 'GET', `/v1/events/${eventId}/categories/${categoryId}/seats`),
    );
    const told = await stream.next((e) => seatsVersionOf(e) === seats.version, 1, 1000);
    expect(told.at - changedAt).toBeLessThan(1000);
    expect(availableOf(told)).toBe(8);
    stream.close();
  });

  it('resumes with Last-Event-ID without sending the same document again', async () => {
    const drop = await createDrop(a.app, admin, { capacity: 10 });
    const fan = await signedInUser(a.app);
    const path = `/v1/events/${drop.eventId}/availability/stream`;
    const first = await openStream(path);
    const seen = await first.next((e) => e.event === 'availability');
    first.close();

    const resumed = await openStream(path, { 'Last-Event-ID': seen.id as string });
    // Nothing changed: nothing is sent.
    await expect(resumed.next((e) => e.event === 'availability', 0, 400)).rejects.toThrow(
      'no matching event',
    );
    await send(a.app, 'POST', '/v1/reservations', fan.accessToken, { ...drop, quantity: 1 });
    const next = await resumed.next((e) => e.event === 'availability');
    expect(next.id).not.toBe(seen.id);
    expect(availableOf(next)).toBe(9);
    expect(resumed.events.filter((e) => e.id === seen.id)).toEqual([]);
    resumed.close();
  });

  it('refuses a user’s third stream with 503 overloaded, and 404s an unknown event', async () => {
    const drop = await createDrop(a.app, admin, { capacity: 10 });
    const fan = await signedInUser(a.app);
    const path = `/v1/events/${drop.eventId}/availability/stream`;
    const auth = { authorization: `Bearer ${fan.accessToken}` };
    const open = [await openStream(path, auth), await openStream(path, auth)];
    for (const s of open) expect(s.res.status).toBe(200);
    const third = await fetch(`${a.baseUrl}${path}`, { headers: auth });
    expect(third.status).toBe(503);
    expect(third.headers.get('retry-after')).toBeTruthy();
    expect(((await third.json()) as { code: string }).code).toBe('overloaded');
    // A closed stream frees its place.
    open[0]?.close();
    await new Promise((r) => setTimeout(r, 100));
    const again = await openStream(path, auth);
    expect(again.res.status).toBe(200);
    again.close();
    open[1]?.close();
    const missing = await fetch(
      `${a.baseUrl}/v1/events/0193a0b2-7c1e-7d3a-9f00-1c2d3e4f5a6b/availability/stream`,
    );
    expect(missing.status).toBe(404);
  });

  it('ends every stream with a final shutdown event', async () => {
    const other = await buildTestApp(functionalConfig());
    const drop = await createDrop(other.app, await adminToken(other), { capacity: 10 });
    const controller = new AbortController();
    const res = await fetch(`${other.baseUrl}/v1/events/${drop.eventId}/availability/stream`, {
      signal: controller.signal,
    });
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let text = '';
    const read = (async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        text += decoder.decode(value, { stream: true });
      }
    })();
    // Once the first document is there, shut the process's streams down.
    const start = Date.now();
    while (!text.includes('event: availability') && Date.now() - start < 2000)
      await new Promise((r) => setTimeout(r, 20));
    other.services.availabilityStreams.close();
    await read;
    expect(text).toContain('event: shutdown');
    await other.close();
  });

  it('answers with streamSSE’s head, the request id and security headers, and its frames', async () => {
    const drop = await createDrop(a.app, admin, { capacity: 10 });
    const path = `/v1/events/${drop.eventId}/availability`;
    const poll = await fetch(`${a.baseUrl}${path}`);
    const etag = poll.headers.get('etag') as string;
    const document = (await poll.json()) as { categories: unknown };

    const wire = await rawStream(
      a.baseUrl,
      `${path}/stream`,
      { 'X-Request-Id': 'sse-wire-1' },
      'first event',
    );
    expect(wire.status).toBe('HTTP/1.1 200 OK');
    expect(wire.headers).toMatchObject({
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'transfer-encoding': 'chunked',
      'x-request-id': 'sse-wire-1',
      // A stream is not JSON: it gets the whole set, as every non-JSON answer does.
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'SAMEORIGIN',
      'referrer-policy': 'no-referrer',
      'strict-transport-security': 'max-age=15552000; includeSubDomains',
    });
    expect(wire.headers['content-length']).toBeUndefined();
    const match = /^event: availability\ndata: (.*)\nid: ([^\n]+)\n\n$/.exec(wire.body);
    expect(match?.[2]).toBe(etag.replaceAll('"', ''));
    expect((JSON.parse(match?.[1] as string) as typeof document).categories).toEqual(
      document.categories,
    );
  });

  it('writes heartbeats, never a document twice, and ends with the shutdown event', async () => {
    // The stream on a bare Node server, driven as an event's group drives it.
    let released = 0;
    const opened: AvailabilityEventStream[] = [];
    const server = createServer((req, res) => {
      const lastId = req.headers['last-event-id'] as string | undefined;
      opened.push(new AvailabilityEventStream(res, lastId, () => released++));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    const snapshot = (version: string, available: number) =>
      ({
        status: 'on_sale',
        etag: `"${version}"`,
        body: JSON.stringify({ categories: [{ available }] }),
      }) as AvailabilitySnapshot;
    try {
      const wire = rawStream(`http://127.0.0.1:${port}`, '/', { 'Last-Event-ID': 'v1' }, 'end');
      while (opened.length === 0) await new Promise((r) => setTimeout(r, 5));
      const stream = opened[0] as AvailabilityEventStream;
      const v2 = snapshot('v2', 3);
      stream.send(snapshot('v1', 4)); // the client has it
      stream.ping();
      stream.send(v2);
      stream.send(v2);
      stream.send(snapshot('v2', 3)); // the same version, another object
      stream.end('shutdown');
      const { body, chunks, ended } = await wire;
      expect(body).toBe(
        ': heartbeat\n\n' +
          'event: availability\ndata: {"categories":[{"available":3}]}\nid: v2\n\n' +
          'event: shutdown\ndata: {"reason":"shutdown"}\n\n',
      );
      expect(chunks).toBe(3);
      expect(ended).toBe(true);
      await new Promise((r) => setTimeout(r, 20));
      expect(released).toBe(1);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

/**
 * A stream read off a plain socket, as the bytes come: the head, and the chunked body
 * decoded until its first event, or until its last chunk.
 */
function rawStream(
  baseUrl: string,
  path: string,
  headers: Record<string, string>,
  until: 'first event' | 'end',
) {
  const url = new URL(baseUrl);
  return new Promise<{
    status: string;
    headers: Record<string, string>;
    body: string;
    chunks: number;
    ended: boolean;
  }>((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname);
    const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`);
    socket.write(`GET ${path} HTTP/1.1\r\nHost: ${url.host}\r\n${lines.join('')}\r\n`);
    let raw = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no complete stream within 2 s: ${JSON.stringify(raw)}`));
    }, 2000);
    socket.setEncoding('latin1');
    socket.on('data', (data: string) => {
      raw += data;
      const cut = raw.indexOf('\r\n\r\n');
      if (cut < 0) return;
      const [status = '', ...fields] = raw.slice(0, cut).split('\r\n');
      let rest = raw.slice(cut + 4);
      let body = '';
      let chunks = 0;
      let ended = false;
      for (;;) {
        const eol = rest.indexOf('\r\n');
        if (eol < 0) break;
        const size = Number.parseInt(rest.slice(0, eol), 16);
        if (rest.length < eol + 2 + size + 2) break;
        if (size === 0) {
          ended = true;
          break;
        }
        body += rest.slice(eol + 2, eol + 2 + size);
        chunks += 1;
        rest = rest.slice(eol + 2 + size + 2);
      }
      if (!ended && (until === 'end' || !body.includes('\n\n'))) return;
      clearTimeout(timer);
      socket.destroy();
      const head: Record<string, string> = {};
      for (const field of fields) {
        const colon = field.indexOf(':');
        head[field.slice(0, colon).toLowerCase()] = field.slice(colon + 1).trim();
      }
      resolve({
        status,
        headers: head,
        body: Buffer.from(body, 'latin1').toString(),
        chunks,
        ended,
      });
    });
  });
}
