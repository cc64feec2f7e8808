// The request's log: one JSON line per request with its id, route, status and duration,
// and a per-request logger whose every line carries the id (logOf). Both cost nothing when
// unused: the child logger is made on first use (pino's child serialises its bindings
// through redaction), and the request line is only built when its level is on — at warn, a
// load test's millions of 2xx answers write nothing and allocate nothing for it. The line is
// written by observe.ts.
import type { Context } from 'hono';
import type { Logger } from '../../platform/logger.js';
import type { AppEnv } from '../env.js';

/** The request's logger: the app's `logger`, with the request id on every line. */
export function logOf(c: Context<AppEnv>, logger: Logger): Logger {
  let log = c.get('log');
  if (!log) {
    log = logger.child({ reqId: c.get('requestId') });
    c.set('log', log);
  }
  return log;
}

/** The request line: info for answers, error for 5xx; built only when its level is on. */
export function logRequest(
  c: Context<AppEnv>,
  logger: Logger,
  line: { route: string; status: number; durationMs: number },
) {
  const failed = line.status >= 500;
  if (!logger.isLevelEnabled(failed ? 'error' : 'info')) return;
  const fields = { method: c.req.method, ...line, userId: c.get('principal')?.userId };
  if (failed) logOf(c, logger).error(fields, 'request failed');
  else logOf(c, logger).info(fields, 'request');
}
