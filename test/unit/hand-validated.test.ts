// The hot routes' input (api/hand-validated.ts): the same answers as zod-openapi's
// validators — 415, 400 malformed, 400 validation_failed — with the acceptor asked first.
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { describe, expect, it, vi } from 'vitest';
import { handValidated, jsonBody, pathParams } from '../../api/hand-validated.js';
import { ApiError } from '../../api/problem.js';
import { acceptReserveBody, ReserveBody } from '../../api/routes/reservations.js';
import { acceptEventId, EventParams } from '../../api/schemas.js';

const E = '0193a0b2-7c1e-7d3a-9f00-1c2d3e4f5a6b';
const body = { eventId: E, categoryId: E, quantity: 2 };

/** What a thrown error would answer, as a plain object. */
function answerOf(err: unknown) {
  if (err instanceof HTTPException) return { status: err.status, message: err.message };
  if (err instanceof ApiError)
    return { status: err.status, code: err.code, detail: err.detail, ...err.options.extra };
  throw err;
}

function app(accept: typeof acceptReserveBody = acceptReserveBody) {
  const hono = new Hono();
  hono.post('/body', async (c) => {
    try {
      return c.json({ read: await jsonBody(c, ReserveBody, accept) });
    } catch (err) {
      return c.json(answerOf(err));
    }
  });
  hono.get('/events/:eventId', (c) => {
    try {
      return c.json({ read: pathParams(c, EventParams, acceptEventId) });
    } catch (err) {
      return c.json(answerOf(err));
    }
  });
  return hono;
}

interface Answer {
  read?: unknown;
  status?: number;
  code?: string;
  errors?: { in: string; field: string }[];
}
/** The JSON answer of a request to the app. */
const answer = async (res: Response | Promise<Response>) => (await (await res).json()) as Answer;

const post = (init: { type?: string; text?: string }, hono = app()) =>
  answer(
    hono.request('/body', {
      method: 'POST',
      body: init.text,
      headers: init.type ? { 'content-type': init.type } : {},
    }),
  );

describe('jsonBody', () => {
  it.each([
    'application/json',
    'application/json; charset=utf-8',
    'APPLICATION/JSON',
    'application/problem+json',
    'application/vnd.api+json',
  ])('reads %s', async (type) => {
    expect(await post({ type, text: JSON.stringify(body) })).toEqual({ read: body });
  });

  it.each(['text/plain', 'application/jsonp', 'application/json;', 'multipart/form-data'])(
    'answers 415 to %s',
    async (type) => {
      expect(await post({ type, text: JSON.stringify(body) })).toMatchObject({ status: 415 });
    },
  );

  it('answers 415 to a body without a content type, and judges a missing one as {}', async () => {
    expect(await post({ text: JSON.stringify(body) })).toMatchObject({ status: 415 });
    expect(await post({})).toMatchObject({
      status: 400,
      code: 'validation_failed',
      detail: 'Invalid body: eventId, categoryId, quantity',
    });
  });

  it('answers 400 to malformed JSON', async () => {
    expect(await post({ type: 'application/json', text: '{"eventId":' })).toEqual({
      status: 400,
      message: 'Malformed JSON in request body',
    });
  });

  it('names each offending field of a body the schema refuses', async () => {
    const text = JSON.stringify({ ...body, quantity: 11, eventId: 'x' });
    const refused = await post({ type: 'application/json', text });
    expect(refused).toMatchObject({ status: 400, code: 'validation_failed' });
    expect(refused.errors?.map((e) => `${e.in}:${e.field}`)).toEqual([
      'body:eventId',
      'body:quantity',
    ]);
  });

  it('takes the acceptor’s answer, and asks the schema only when it is unsure', async () => {
    const sure = vi.fn(() => ({ ...body, quantity: 9 }));
    expect(await post({ type: 'application/json', text: '{}' }, app(sure))).toEqual({
      read: { ...body, quantity: 9 },
    });
    const unsure = vi.fn(() => undefined);
    const text = JSON.stringify({ ...body, extra: true });
    expect(await post({ type: 'application/json', text }, app(unsure))).toEqual({ read: body });
    expect(unsure).toHaveBeenCalledWith({ ...body, extra: true });
  });
});

describe('pathParams', () => {
  it('reads an event id, and refuses anything else as a path problem', async () => {
    expect(await answer(app().request(`/events/${E}`))).toEqual({
      read: { eventId: E },
    });
    expect(await answer(app().request('/events/nope'))).toMatchObject({
      status: 400,
      code: 'validation_failed',
      detail: 'Invalid path: eventId',
    });
  });
});

describe('handValidated', () => {
  it('documents the route in full, and serves it without its middleware or validators', () => {
    const openapi = new OpenAPIHono();
    const guard = vi.fn();
    const served = handValidated(
      openapi as never,
      createRoute({
        method: 'get',
        path: '/v1/events/{eventId}/queue/{userId}',
        middleware: [guard] as never,
        request: { params: z.object({ eventId: z.string(), userId: z.string() }) },
        responses: { 204: { description: 'none' } },
      }),
    );
    expect(served).not.toHaveProperty('middleware');
    expect(served).not.toHaveProperty('request');
    expect(served.hide).toBe(true);
    expect(served.path).toBe('/v1/events/{eventId}/queue/{userId}');
    const doc = openapi.getOpenAPIDocument({
      openapi: '3.0.0',
      info: { title: 't', version: '1' },
    });
    expect(Object.keys(doc.paths ?? {})).toEqual(['/v1/events/{eventId}/queue/{userId}']);
    expect(JSON.stringify(doc)).toContain('"in":"path"');
    expect(JSON.stringify(doc)).not.toContain('middleware');
  });
});
