// pino JSON logs, one line per event, tagged with the process's service name. With tracing
// on (platform/tracing.ts), a line written inside a traced request's work carries its
// `traceId` and `spanId`: the log lines of one reservation are found by its trace id.
import { type Logger, pino } from 'pino';
import type { Config } from './config.js';
import { traceFieldsOfLogLine, tracingOn } from './tracing.js';

export type { Logger };

/** Fields that may carry secrets: never written, whatever logs them. */
const REDACT = [
  'password',
  'passwordHash',
  'accessToken',
  'refreshToken',
  'token',
  'authorization',
  '*.password',
  '*.accessToken',
  '*.refreshToken',
  '*.authorization',
  'req.headers.authorization',
  'req.headers.cookie',
  // presale codes (SPEC §9): shown once to the admin, never kept or written in plain text
  'codes',
  '*.codes',
  'req.headers["access-code"]',
];

export function createLogger(
  config: Pick<Config, 'LOG_LEVEL' | 'LOG_PRETTY' | 'NODE_ENV'>,
  service: string,
): Logger {
  const pretty = config.LOG_PRETTY ?? (config.NODE_ENV === 'development' && process.stdout.isTTY);
  return pino({
    level: config.LOG_LEVEL,
    base: { service, pid: process.pid },
    redact: { paths: REDACT, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    // Only with tracing started (before the logger, in each main.ts): off, no call per line.
    mixin: tracingOn() ? traceFieldsOfLogLine : undefined,
    // pino-pretty is a dev dependency: only asked for outside production.
    transport:
      pretty && config.NODE_ENV !== 'production'
        ? { target: 'pino-pretty', options: { colorize: true } }
        : undefined,
  });
}
