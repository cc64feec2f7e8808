// A spent budget as a 429 (api/protection/rate-limits.ts): when to retry, in whole seconds.
import type { RateLimiterRes } from 'rate-limiter-flexible';
import { describe, expect, it } from 'vitest';
import { rateLimited } from '../../api/protection/rate-limits.js';

const spent = (msBeforeNext: number) => ({ msBeforeNext }) as RateLimiterRes;

describe('rateLimited', () => {
  it.each([
    [1, 1],
    [999, 1],
    [1000, 1],
    [1001, 2],
    [0, 1],
    [59_500, 60],
  ])('%i ms before the next point: retry in %i s', (ms, seconds) => {
    const err = rateLimited(spent(ms), 'Too many requests from this address');
    expect(err).toMatchObject({ status: 429, code: 'rate_limited' });
    expect(err.detail).toBe(`Too many requests from this address; retry in ${seconds} s`);
    expect(err.options.headers).toEqual({ 'Retry-After': String(seconds) });
    expect(err.options.extra).toEqual({ retryAfter: seconds });
  });
});
