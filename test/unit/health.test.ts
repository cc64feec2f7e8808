// Readiness probes (platform/health.ts): each bounded by a timeout, failures named.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { checkReadiness, notReadyProblem, readiness, withTimeout } from '../../platform/health.js';

afterEach(() => {
  vi.useRealTimers();
});

const never = () => new Promise<never>(() => {});

describe('probes', () => {
  it('a probe that does not answer in time fails with its name and bound', async () => {
    vi.useFakeTimers();
    const late = withTimeout(never(), 1500, 'kafka');
    vi.advanceTimersByTime(1499);
    const settled = vi.fn();
    late.catch(settled);
    await Promise.resolve();
    expect(settled).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    await expect(late).rejects.toThrow('kafka timed out after 1500 ms');
  });

  it('an answer in time is passed through and its timer cleared', async () => {
    vi.useFakeTimers();
    expect(await withTimeout(Promise.resolve('PONG'), 100, 'redis')).toBe('PONG');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('checks every probe, naming each failure by its message', async () => {
    vi.useFakeTimers();
    const checking = checkReadiness(
      {
        redis: async () => 'PONG',
        postgres: () => Promise.reject(new Error('connection refused')),
        kafka: never,
        odd: () => {
          throw 'not an error';
        },
      },
      1000,
    );
    await vi.advanceTimersByTimeAsync(1000);
    expect(await checking).toEqual({
      ready: false,
      checks: {
        redis: 'ok',
        postgres: 'connection refused',
        kafka: 'kafka timed out after 1000 ms',
        odd: 'not an error',
      },
    });
  });

  it('is ready with no probes, and draining before any probe runs', async () => {
    expect(await readiness({}, 100)).toEqual({ ready: true, checks: {} });
    const probe = vi.fn(async () => 'ok');
    expect(await readiness({ redis: probe }, 100, () => true)).toMatchObject({ ready: false });
    expect(probe).not.toHaveBeenCalled();
  });

  it('the 503 is the not_ready problem with Retry-After', () => {
    const answer = notReadyProblem(
      { ready: false, detail: 'Not reachable: kafka', checks: {} },
      'r1',
    );
    expect(answer.headers).toEqual({
      'Content-Type': 'application/problem+json',
      'Retry-After': '1',
    });
    expect(answer.body).toMatchObject({ status: 503, code: 'not_ready', requestId: 'r1' });
  });
});
