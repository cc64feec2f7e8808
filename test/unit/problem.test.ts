// RFC 9457 problem+json (api/problem.ts): one table of codes, one body, no stack for a 4xx.
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import {
  ApiError,
  ERRORS,
  type ErrorCode,
  PROBLEM_CONTENT_TYPE,
  ProblemSchema,
  problemBody,
  problemResponse,
  refusalResponses,
} from '../../api/problem.js';

const codes = Object.keys(ERRORS) as ErrorCode[];

describe('problem+json', () => {
  it('every code’s body is a valid Problem document with its own status and title', () => {
    for (const code of codes) {
      const body = problemBody(code, 'why', 'req-1');
      expect(ProblemSchema.safeParse(body).success, code).toBe(true);
      expect(body).toMatchObject({ type: `/problems/${code}`, code, ...ERRORS[code] });
    }
  });

  it('statuses are client or server errors, each title said once', () => {
    for (const code of codes) expect(ERRORS[code].status, code).toBeGreaterThanOrEqual(400);
    const titles = codes.map((c) => ERRORS[c].title);
    expect(new Set(titles).size).toBe(titles.length);
  });

  it('extension members go into the body, after the standard ones', () => {
    const body = problemBody('sold_out', 'Only 2 left', undefined, { available: 2 });
    expect(Object.keys(body)).toEqual([
      'type',
      'title',
      'status',
      'detail',
      'code',
      'requestId',
      'available',
    ]);
    expect(JSON.parse(JSON.stringify(body))).not.toHaveProperty('requestId');
  });

  it('an ApiError takes its status from the table and keeps its cause', () => {
    const cause = new Error('redis');
    const err = new ApiError('dependency_unavailable', 'down', { cause });
    expect(err).toMatchObject({ status: 503, code: 'dependency_unavailable', detail: 'down' });
    expect(err.cause).toBe(cause);
    expect(err.name).toBe('ApiError');
  });

  it('a 4xx captures no stack, a 5xx does, and the stack limit is given back', () => {
    const limit = Error.stackTraceLimit;
    expect(new ApiError('sold_out', 'gone').stack?.split('\n')).toHaveLength(1);
    expect(new ApiError('internal_error', 'bug').stack?.split('\n').length).toBeGreaterThan(1);
    expect(Error.stackTraceLimit).toBe(limit);
  });

  it('is written with its content type, request id and headers', async () => {
    const app = new Hono<{ Variables: { requestId: string } }>();
    app.get('/', (c) => {
      c.set('requestId', 'req-7');
      const err = new ApiError('rate_limited', 'slow down', {
        headers: { 'Retry-After': '3' },
        extra: { retryAfter: 3 },
      });
      return problemResponse(c, err);
    });
    const res = await app.request('/');
    expect(res.status).toBe(429);
    expect(res.headers.get('content-type')).toBe(PROBLEM_CONTENT_TYPE);
    expect(res.headers.get('x-request-id')).toBe('req-7');
    expect(res.headers.get('retry-after')).toBe('3');
    expect(await res.json()).toEqual({
      type: '/problems/rate_limited',
      title: 'Too many requests',
      status: 429,
      detail: 'slow down',
      code: 'rate_limited',
      requestId: 'req-7',
      retryAfter: 3,
    });
  });

  it('documents each refusal under its status as a problem response', () => {
    const responses = refusalResponses({ not_found: 'missing', invalid_state: 'taken' }, {});
    expect(Object.keys(responses)).toEqual(['404', '409']);
    expect(responses[409]?.description).toBe('`invalid_state`: taken');
    expect(Object.keys(responses[404]?.content ?? {})).toEqual([PROBLEM_CONTENT_TYPE]);
  });
});
