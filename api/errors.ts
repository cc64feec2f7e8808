// Every error as problem+json (RFC 9457): ours as they are, Hono's and the stores' mapped
// onto SPEC codes, a dependency that is down as 503 with Retry-After, anything else as a
// 500 that says nothing about the inside. No input may yield a 500.
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { PasswordWorkBusy } from '../core/auth/passwords.js';
import type { Logger } from '../platform/logger.js';
import { isDependencyDown } from './dependency-errors.js';
import type { AppEnv } from './env.js';
import { logOf } from './middleware/request-log.js';
import { ApiError, type ErrorCode, problemResponse } from './problem.js';

/** Errors Hono itself throws (malformed JSON, timeouts), mapped onto our codes. */
const HTTP_EXCEPTION_CODES: Record<number, ErrorCode> = {
  400: 'validation_failed',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  503: 'overloaded',
  504: 'timeout',
};

/** SQLSTATE of a Postgres error (postgres.js), also when drizzle wrapped it as the cause. */
const sqlState = (err: unknown): string | undefined => {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
  const cause = (err as { cause?: unknown } | null)?.cause;
  return cause ? sqlState(cause) : undefined;
};

/**
 * A Postgres refusal caused by what the request asked for, should one slip past the
 * schemas: data exceptions (class 22: a value out of range, a character it cannot store)
 * and check violations are the caller's input; unique and foreign-key violations are
 * conflicts with what is stored. Never a 500.
 */
function storeRefusal(err: unknown): ApiError | undefined {
  const state = sqlState(err);
  if (!state) return undefined;
  if (state.startsWith('22') || state === '23514') {
    return new ApiError('validation_failed', 'A value is outside what the store accepts', {
      extra: { errors: [{ in: 'body', field: '', message: 'a value is out of range' }] },
    });
  }
  if (state === '23505' || state === '23503' || state === '23P01') {
    return new ApiError('invalid_state', 'This conflicts with what is stored already');
  }
  return undefined;
}

/** Every error as problem+json: ours as they are, Hono's and dependency failures mapped. */
export function errorHandler(logger: Logger) {
  return (err: Error, c: Context<AppEnv>): Response => {
    if (err instanceof ApiError) {
      if (err.status >= 500)
        logOf(c, logger).warn({ code: err.code, detail: err.detail }, 'refused');
      return problemResponse(c, err);
    }
    if (err instanceof HTTPException) {
      const code = HTTP_EXCEPTION_CODES[err.status] ?? 'internal_error';
      return problemResponse(c, new ApiError(code, err.message || code));
    }
    if (err instanceof PasswordWorkBusy) {
      return problemResponse(
        c,
        new ApiError('overloaded', 'Too many sign-ins at once; retry shortly', {
          headers: { 'Retry-After': '1' },
        }),
      );
    }
    const refusal = storeRefusal(err);
    if (refusal) {
      // Input the schemas should have refused: answered, and logged to be fixed there.
      logOf(c, logger).warn({ err }, 'store refused the input');
      return problemResponse(c, refusal);
    }
    if (isDependencyDown(err)) {
      logOf(c, logger).error({ err }, 'dependency unavailable');
      return problemResponse(
        c,
        new ApiError('dependency_unavailable', 'A backing service is unavailable; retry shortly', {
          headers: { 'Retry-After': '1' },
        }),
      );
    }
    // Unexpected: log everything, answer nothing about the inside.
    logOf(c, logger).error({ err }, 'unhandled error');
    return problemResponse(c, new ApiError('internal_error', 'An unexpected error occurred'));
  };
}
