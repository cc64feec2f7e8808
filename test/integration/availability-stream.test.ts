// The availability stream (SSE) over a real socket against real Redis: the document at
// once, every change within 1 s (coalesced), resume with Last-Event-ID without a
// duplicate, the per-user limit, and the final event on shutdown.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp } from '../helpers/app.js';
import { signedInUser } from '../helpers/auth.js';
import { adminToken, createDrop, send } from '../helpers/drop.js';
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
});
