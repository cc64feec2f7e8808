// Request limits shared by every api instance, kept in Redis by rate-limiter-flexible
// (one key per bucket, so Redis Cluster is fine). If Redis fails, an in-memory limiter of
// the same size takes over per instance rather than letting everything through.
import { Counter, type Registry } from 'prom-client';
import { RateLimiterMemory, RateLimiterRedis, type RateLimiterRes } from 'rate-limiter-flexible';
import type { Config } from '../../platform/config.js';
import type { RedisClient } from '../../platform/redis.js';
import { ApiError } from '../problem.js';

type LimitConfig = Pick<
  Config,
  | 'RATE_LIMIT_PER_IP'
  | 'RATE_LIMIT_PER_USER'
  | 'RATE_LIMIT_RESERVE_COST'
  | 'LOGIN_FAILURES_PER_MINUTE'
>;

function limiter(redis: RedisClient, keyPrefix: string, points: number, duration: number) {
  return new RateLimiterRedis({
    storeClient: redis,
    keyPrefix,
    points,
    duration,
    insuranceLimiter: new RateLimiterMemory({ keyPrefix, points, duration }),
  });
}

const retryAfterSeconds = (res: RateLimiterRes) => Math.max(1, Math.ceil(res.msBeforeNext / 1000));

export function rateLimited(res: RateLimiterRes, detail: string): ApiError {
  const retryAfter = retryAfterSeconds(res);
  return new ApiError('rate_limited', `${detail}; retry in ${retryAfter} s`, {
    headers: { 'Retry-After': String(retryAfter) },
    extra: { retryAfter },
  });
}

const isRefusal = (err: unknown): err is RateLimiterRes =>
  typeof (err as RateLimiterRes | null)?.msBeforeNext === 'number';

/** The reserve route is the strictest: one attempt costs RATE_LIMIT_RESERVE_COST points. */
const isReserve = (method: string, path: string) =>
  method === 'POST' && path === '/v1/reservations';

export function createRateLimits(
  redis: RedisClient,
  config: LimitConfig,
  registry: Registry,
  prefix = 'rl',
) {
  const perIp =
    config.RATE_LIMIT_PER_IP > 0
      ? limiter(redis, `${prefix}:ip`, config.RATE_LIMIT_PER_IP, 1)
      : null;
  const perUser =
    config.RATE_LIMIT_PER_USER > 0
      ? limiter(redis, `${prefix}:user`, config.RATE_LIMIT_PER_USER, 1)
      : null;
  const loginFailures = limiter(redis, `${prefix}:login`, config.LOGIN_FAILURES_PER_MINUTE, 60);
  const refused = new Counter({
    name: 'api_rate_limited_total',
    help: 'Requests refused with 429, by limit',
    labelNames: ['limit'] as const,
    registers: [registry],
  });

  async function consume(
    bucket: RateLimiterRedis,
    key: string,
    cost: number,
    limit: 'ip' | 'user',
  ): Promise<void> {
    try {
      // A cost above the bucket would never pass: cap it at the bucket's size.
      await bucket.consume(key, Math.min(cost, bucket.points));
    } catch (err) {
      if (!isRefusal(err)) throw err;
      refused.inc({ limit });
      throw rateLimited(
        err,
        `Too many requests from this ${limit === 'ip' ? 'address' : 'account'}`,
      );
    }
  }

  /**
   * Per-IP and per-user budgets, per second, for a request by `userId` (when signed in)
   * from `ip`; throws 429 when one is spent. Null when both are off: nothing to call.
   */
  const requests =
    perIp || perUser
      ? async (method: string, path: string, ip: string, userId: string | undefined) => {
          const cost = isReserve(method, path) ? config.RATE_LIMIT_RESERVE_COST : 1;
          if (perIp) await consume(perIp, ip, cost, 'ip');
          if (perUser && userId) await consume(perUser, userId, cost, 'user');
        }
      : null;

  /**
   * Brute-force guard on logins, per email + IP; always on. Every attempt takes a point
   * before its password is checked (one atomic step in Redis), and a success gives them
   * all back: of any number of parallel guesses, at most LOGIN_FAILURES_PER_MINUTE reach
   * bcrypt in a minute, the rest are refused at once.
   */
  const logins = {
    key: (email: string, ip: string) => `${email}|${ip}`,
    /** Counts an attempt; throws 429 when this email + IP has no attempt left this minute. */
    async attempt(key: string): Promise<void> {
      try {
        await loginFailures.consume(key);
      } catch (err) {
        if (!isRefusal(err)) throw err;
        refused.inc({ limit: 'login' });
        throw rateLimited(err, 'Too many failed logins');
      }
    },
    /** After a successful login: the attempts of this email + IP start over. */
    async reset(key: string): Promise<void> {
      await loginFailures.delete(key);
    },
  };

  return { requests, logins };
}

export type RateLimits = ReturnType<typeof createRateLimits>;
