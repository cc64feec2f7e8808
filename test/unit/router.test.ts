// Validation failures as one problem (api/router.ts): where, which fields, never the value.
import { z } from '@hono/zod-openapi';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import type { ApiError } from '../../api/problem.js';
import { createRouter, validationFailed, validHeader } from '../../api/router.js';

const issuesOf = (schema: z.ZodType, value: unknown) => {
  const parsed = schema.safeParse(value);
  if (parsed.success) throw new Error('valid');
  return parsed.error.issues;
};

describe('validationFailed', () => {
  const Body = z.object({ items: z.array(z.object({ quantity: z.number().max(10) })) });

  it.each([
    ['json', 'body'],
    ['form', 'body'],
    ['query', 'query'],
    ['param', 'path'],
    ['header', 'header'],
    ['cookie', 'cookie'],
    ['elsewhere', 'elsewhere'],
  ])('places a %s problem in %s', (target, where) => {
    const err = validationFailed(target, issuesOf(Body, { items: [{ quantity: 11 }] }));
    expect(err.detail).toBe(`Invalid ${where}: items.0.quantity`);
    expect(err.options.extra?.errors).toEqual([expect.objectContaining({ in: where })]);
  });

  it('lists each field once, the whole document by its place, and never echoes the value', () => {
    const secret = 'hunter2-secret';
    const issues = [
      ...issuesOf(z.object({ a: z.number(), b: z.number() }), { a: secret }),
      ...issuesOf(z.object({ a: z.number() }), { a: secret }),
      ...issuesOf(z.string(), 1),
    ];
    const err = validationFailed('json', issues);
    expect(err.code).toBe('validation_failed');
    expect(err.detail).toBe('Invalid body: a, b, body');
    expect(err.options.extra?.errors).toHaveLength(4);
    expect(JSON.stringify(err.options.extra)).not.toContain(secret);
  });
});

describe('validHeader', () => {
  const app = new Hono();
  app.get('/', (c) => {
    try {
      return c.json({ key: validHeader(c, 'idempotency-key', z.string().max(5)) ?? null });
    } catch (err) {
      return c.json({ detail: (err as ApiError).detail, status: (err as ApiError).status });
    }
  });
  const ask = async (headers: Record<string, string>) =>
    (await app.request('/', { headers })).json();

  it('reads a header that fits, nothing when none was sent, and refuses one that does not', async () => {
    expect(await ask({ 'Idempotency-Key': 'k1' })).toEqual({ key: 'k1' });
    expect(await ask({})).toEqual({ key: null });
    expect(await ask({ 'Idempotency-Key': 'toolong' })).toEqual({
      status: 400,
      detail: 'Invalid header: idempotency-key',
    });
  });
});

describe('createRouter', () => {
  it('answers a route’s invalid input with the problem, through its hook', async () => {
    const router = createRouter();
    router.openapi(
      {
        method: 'get',
        path: '/items/{id}',
        request: { params: z.object({ id: z.uuid() }) },
        responses: { 200: { description: 'ok' } },
      },
      (c) => c.json({ id: c.req.valid('param').id }, 200),
    );
    router.onError((err) => Response.json({ code: (err as ApiError).code }, { status: 400 }));
    expect(await (await router.request('/items/x')).json()).toEqual({ code: 'validation_failed' });
  });
});
