// pino JSON logs, one line per event, tagged with the process's service name.
import { type Logger, pino } from 'pino';
import type { Config } from './config.js';

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
    // pino-pretty is a dev dependency: only asked for outside production.
    transport:
      pretty && config.NODE_ENV !== 'production'
        ? { target: 'pino-pretty', options: { colorize: true } }
        : undefined,
  });
}
