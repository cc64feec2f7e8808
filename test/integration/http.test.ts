// The api skeleton through its real factory: problem+json errors, validation, limits,
// request ids, security headers, the operations endpoints and route-labelled metrics.
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { createRoute, z } from '@hono/zod-openapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError } from '../../api/problem.js';
import { buildTestApp } from '../helpers/app.js';
import { testConfig } from '../helpers/services.js';

let ctx: Awaited<ReturnType<typeof buildTestApp>>;
const PROBLEM_KEYS = ['code', 'detail', 'requestId', 'status', 'title', 'type'];

beforeAll(async () => {
  ctx = await buildTestApp(testConfig({ BODY_LIMIT_BYTES: '1024', REQUEST_TIMEOUT_MS: '200' }));
  const { app } = ctx;
  // Routes that exist only in this test, to drive each error path through the real app.
  app.openapi(
    createRoute({
      method: 'post',
      path: '/test/things/{thingId}',
      request: {
        params: z.object({ thingId: z.uuid() }),
        query: z.object({ dryRun: z.enum(['true', 'false']).optional() }),
        body: {
          content: {
            'application/json': {
              schema: z.object({
                name: z.string().min(1),
                quantity: z.number().int().min(1).max(10),
              }),
            },
          },
        },
      },
      responses: { 200: { description: 'ok' } },
    }),
    (c) => c.json({ ok: true, ...c.req.valid('json') }, 200),
  );
  app.get(
    '/test/own-headers',
    () => new Response('framed', { headers: { 'x-frame-options': 'DENY', 'X-Custom': 'yes' } }),
  );
  app.get('/test/crash', () => {
    throw new Error('secret internals at /srv/app/db.ts:42');
  });
  app.get('/test/sold-out', () => {
    throw new ApiError('sold_out', 'Only 2 left', {
      extra: { available: 2 },
      headers: { 'Retry-After': '3' },
    });
  });
  app.get('/test/slow', async (c) => {
    await new Promise((r) => setTimeout(r, 1000));
    return c.text('late');
  });
});
afterAll(() => ctx?.close());

async function problem(res: Response) {
  expect(res.headers.get('content-type')).toBe('application/problem+json');
  const body = (await res.json()) as Record<string, unknown>;
  for (const key of PROBLEM_KEYS) expect(body).toHaveProperty(key);
  expect(body.status).toBe(res.status);
  expect(body.type).toBe(`/problems/${body.code}`);
  expect(body.requestId).toBe(res.headers.get('x-request-id'));
  expect(JSON.stringify(body)).not.toMatch(/at .*\.ts:\d+|stack/i);
  return body;
}

const THING = '/test/things/0b7e1c2a-6f53-4d0e-9a41-2b1f0f6f3a10';
const post = (path: string, body: string, headers: Record<string, string> = {}) =>
  ctx.app.request(path, {
    method: 'POST',
    body,
    headers: { 'Content-Type': 'application/json', ...headers },
  });

describe('problem+json errors', () => {
  it('answers an unknown path with 404 not_found', async () => {
    const res = await ctx.app.request('/v1/nowhere');
    expect(res.status).toBe(404);
    expect((await problem(res)).code).toBe('not_found');
  });

  it('lists every offending field, with where it was, and echoes no input', async () => {
    const fields = (body: Record<string, unknown>) =>
      (body.errors as { in: string; field: string }[]).map((e) => `${e.in}:${e.field}`).sort();
    const valid = JSON.stringify({ name: 'x', quantity: 1 });

    const badPath = await post('/test/things/not-a-uuid', valid);
    expect(badPath.status).toBe(400);
    const p = await problem(badPath);
    expect(p.code).toBe('validation_failed');
    expect(fields(p)).toEqual(['path:thingId']);
    expect(JSON.stringify(p)).not.toContain('not-a-uuid');

    const badQuery = await post(`${THING}?dryRun=%3Cscript%3E`, valid);
    const q = await problem(badQuery);
    expect(fields(q)).toEqual(['query:dryRun']);
    expect(JSON.stringify(q)).not.toContain('<script>');

    const badBody = await post(
      THING,
      JSON.stringify({ name: '', quantity: '<script>alert(1)</script>' }),
    );
    const b = await problem(badBody);
    expect(badBody.status).toBe(400);
    expect(fields(b)).toEqual(['body:name', 'body:quantity']);
    expect(b.detail).toBe('Invalid body: name, quantity');
    expect(JSON.stringify(b)).not.toContain('<script>');
  });

  it('accepts valid input through the same route', async () => {
    const res = await post(`${THING}?dryRun=true`, JSON.stringify({ name: 'x', quantity: 2 }));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, name: 'x', quantity: 2 });
  });

  it('answers malformed JSON with 400 validation_failed', async () => {
    const res = await post(THING, '{"name": "x", ');
    expect(res.status).toBe(400);
    expect((await problem(res)).code).toBe('validation_failed');
  });

  it('refuses a body over the limit with 413 payload_too_large', async () => {
    const res = await post(THING, JSON.stringify({ name: 'x'.repeat(2000), quantity: 1 }));
    expect(res.status).toBe(413);
    expect((await problem(res)).code).toBe('payload_too_large');
  });

  it('judges bodies served by Node by Content-Length, and counts chunked ones', async () => {
    const port = Number(new URL(ctx.baseUrl).port);
    // Raw node:http, so the test decides between Content-Length and chunked framing.
    const send = (body: string, chunked: boolean) =>
      new Promise<{ status: number; body: Record<string, unknown> }>((resolve, reject) => {
        const req = httpRequest(
          {
            host: '127.0.0.1',
            port,
            method: 'POST',
            path: THING,
            headers: {
              'content-type': 'application/json',
              ...(chunked ? {} : { 'content-length': Buffer.byteLength(body) }),
            },
          },
          (res) => {
            let text = '';
            res.on('data', (d) => {
              text += d;
            });
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
          },
        );
        req.on('error', reject);
        // Chunked: written in pieces, so no length is known up front.
        if (chunked) for (let i = 0; i < body.length; i += 100) req.write(body.slice(i, i + 100));
        else req.write(body);
        req.end();
      });
    const small = JSON.stringify({ name: 'ok', quantity: 1 });
    const big = JSON.stringify({ name: 'x'.repeat(2000), quantity: 1 });
    for (const chunked of [false, true]) {
      expect(await send(small, chunked)).toMatchObject({ status: 200, body: { name: 'ok' } });
      const refused = await send(big, chunked);
      expect(refused.status).toBe(413);
      expect(refused.body.code).toBe('payload_too_large');
    }
  });

  it('hides the inside of an unexpected error behind 500 internal_error', async () => {
    const res = await ctx.app.request('/test/crash');
    expect(res.status).toBe(500);
    const body = await problem(res);
    expect(body.code).toBe('internal_error');
    expect(JSON.stringify(body)).not.toContain('secret internals');
  });

  it('carries extension members and headers of a domain refusal', async () => {
    const res = await ctx.app.request('/test/sold-out');
    expect(res.status).toBe(409);
    expect(res.headers.get('retry-after')).toBe('3');
    const body = await problem(res);
    expect(body).toMatchObject({ code: 'sold_out', available: 2, detail: 'Only 2 left' });
  });

  it('answers a request that outlives REQUEST_TIMEOUT_MS with 504 timeout', async () => {
    const res = await ctx.app.request('/test/slow');
    expect(res.status).toBe(504);
    expect((await problem(res)).code).toBe('timeout');
  });
});

describe('request ids and headers', () => {
  it('keeps a caller-given X-Request-Id and makes one otherwise', async () => {
    const given = await ctx.app.request('/healthz', {
      headers: { 'X-Request-Id': 'trace-abc-123' },
    });
    expect(given.headers.get('x-request-id')).toBe('trace-abc-123');
    const made = await ctx.app.request('/healthz');
    expect(made.headers.get('x-request-id')).toMatch(/^[a-z0-9]+-[a-z0-9]+$/);
  });

  it('sets security headers: those that guard JSON on a JSON answer, all on a document', async () => {
    const guardingJson = (res: Response) => {
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN');
      expect(res.headers.get('strict-transport-security')).toContain('max-age=');
    };
    const json = await ctx.app.request('/healthz');
    expect(json.headers.get('content-type')).toMatch(/^application\/json/);
    guardingJson(json);
    expect(json.headers.get('referrer-policy')).toBeNull();
    const problem = await ctx.app.request('/test/crash');
    expect(problem.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    guardingJson(problem);
    expect(problem.headers.get('x-dns-prefetch-control')).toBeNull();

    const page = await ctx.app.request('/docs');
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    guardingJson(page);
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    expect(page.headers.get('cross-origin-opener-policy')).toBe('same-origin');
    expect(page.headers.get('x-permitted-cross-domain-policies')).toBe('none');
  });

  it('sends no empty request id on an answer the server gives before the app (a bad Host)', async () => {
    // Raw bytes: fetch would not send this Host.
    const head = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(new URL(ctx.baseUrl).port), '127.0.0.1', () =>
        socket.write('GET /healthz HTTP/1.1\r\nHost: bad host!\r\nConnection: close\r\n\r\n'),
      );
      let text = '';
      socket.on('data', (chunk) => {
        text += chunk;
      });
      socket.on('end', () => resolve(text.split('\r\n\r\n')[0] ?? ''));
      socket.on('error', reject);
    });
    expect(head).toMatch(/^HTTP\/1\.1 400 /);
    expect(head).toMatch(/^X-Content-Type-Options: nosniff$/im);
    expect(head).not.toMatch(/^X-Request-Id:/im);
  });

  it("lets a handler's header win over the security header of the same name, once", async () => {
    const res = await ctx.app.request('/test/own-headers');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('x-custom')).toBe('yes');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-request-id')).toMatch(/^[a-z0-9]+-[a-z0-9]+$/);
  });
});

describe('operations endpoints', () => {
  it('/healthz and /readyz answer 200 with every dependency checked', async () => {
    expect(await (await ctx.app.request('/healthz')).json()).toEqual({ status: 'ok' });
    const ready = await ctx.app.request('/readyz');
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({
      status: 'ready',
      checks: { redis: 'ok', postgres: 'ok', kafka: 'ok' },
    });
  });

  it('/openapi.json is an OpenAPI 3.1 document of the routes, served from one object', async () => {
    const first = await ctx.app.request('/openapi.json');
    const doc = (await first.json()) as {
      openapi: string;
      paths: Record<string, unknown>;
      components: { schemas: Record<string, unknown> };
    };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/healthz',
        '/readyz',
        '/v1/auth/login',
        '/v1/me',
        '/v1/reservations',
        '/v1/reservations/{id}/confirm',
        '/v1/events/{eventId}/availability',
        '/v1/admin/events/{eventId}/categories/{categoryId}',
      ]),
    );
    expect(doc.components.schemas).toHaveProperty('Problem');
    // Generated once at start-up: routes added later are not in it.
    expect(doc.paths).not.toHaveProperty('/test/things/{thingId}');
  });

  it('/docs serves Swagger UI from the engine itself, pointing at /openapi.json, under a self-only CSP', async () => {
    const res = await ctx.app.request('/docs');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
    const html = await res.text();
    expect(html).toContain('swagger-ui');
    // Nothing from elsewhere: every asset is the engine's own.
    expect(html).not.toMatch(/https?:\/\//);
    const init = await (await ctx.app.request('/docs/init.js')).text();
    expect(init).toContain('/openapi.json');
    for (const asset of html.matchAll(/(?:src|href)="(\/docs\/[^"]+)"/g)) {
      const r = await ctx.app.request(asset[1] as string);
      expect(r.status, asset[1]).toBe(200);
    }
    expect((await ctx.app.request('/docs/assets/package.json')).status).toBe(404);
  });

  it('/metrics (on the ops port) labels requests by route pattern and status class, never the raw URL', async () => {
    await post(`${THING}?dryRun=true`, JSON.stringify({ name: 'x', quantity: 2 }));
    await ctx.app.request('/no/such/path/12345');
    // Not on the public port: business metrics are for operators only.
    expect((await ctx.app.request('/metrics')).status).toBe(404);
    const res = await fetch(`${ctx.opsUrl}/metrics`);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    expect(text).toContain('process_cpu_user_seconds_total');
    expect(text).toMatch(
      /http_requests_total\{method="POST",route="\/test\/things\/:thingId",status_class="2xx",service="api"\} \d+\n/,
    );
    expect(text).toMatch(/http_request_duration_seconds_bucket\{le="0.00025",/);
    expect(text).toContain('route="unmatched",status_class="4xx"');
    // No raw URL in any label (a value may hold any digits: a heap size, a duration).
    const labels = [...text.matchAll(/\{([^}]*)\}/g)].map((m) => m[1]).join('\n');
    expect(labels).toContain('route=');
    expect(labels).not.toContain('0b7e1c2a');
    expect(labels).not.toContain('12345');
    expect(text).not.toContain('/no/such/path');
  });
});
