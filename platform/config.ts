// Configuration, parsed once at start-up. Precedence: environment > config.yml (path from
// CONFIG_FILE, else ./config.yml when present) > defaults. Keys are the same names in the
// environment and in the file. A bad value stops the process with the key's name.
import { existsSync, readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

/** The development defaults that must never reach production. */
export const DEV_JWT_SECRET = 'dev-only-jwt-secret-change-me-0123456789abcdef';
export const DEV_ADMIN_PASSWORD = 'admin-dev-password';

// Environment values are strings; a YAML file may hold real booleans and numbers.
const bool = z.preprocess((v) => {
  if (typeof v !== 'string') return v;
  const s = v.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(s)) return true;
  if (['false', '0', 'no', 'off', ''].includes(s)) return false;
  return v;
}, z.boolean());
const int = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  z.coerce.number().int().min(min).max(max);
const port = int(0, 65535);
const url = (protocols: string[]) =>
  z
    .string()
    .trim()
    .refine(
      (v) => {
        try {
          return protocols.includes(new URL(v).protocol);
        } catch {
          return false;
        }
      },
      `must be a ${protocols.join(' or ')}// URL`,
    );
const hostPortList = z
  .string()
  .trim()
  .regex(/^[^\s,:]+:\d+(,[^\s,:]+:\d+)*$/, 'must be host:port[,host:port...]');

export const configSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
    HOST: z.string().trim().min(1).default('127.0.0.1'),
    PORT: port.default(8080),
    /** Address the ops servers (metrics, health) of the api, worker and reaper bind to. */
    OPS_HOST: z.string().trim().min(1).default('127.0.0.1'),
    /** The api's ops server: /metrics lives there, off the public port. */
    API_METRICS_PORT: port.default(9100),
    WORKER_METRICS_PORT: port.default(9101),
    REAPER_METRICS_PORT: port.default(9102),
    LOG_LEVEL: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
      .default('info'),
    /** Human-readable logs; defaults to on only in development on a terminal. */
    LOG_PRETTY: bool.optional(),
    /**
     * Tracing (platform/tracing.ts): the OTLP/HTTP collector's base URL (spans go to its
     * /v1/traces). Unset: no tracing at all, and the hot path pays nothing for it.
     */
    OTEL_EXPORTER_OTLP_ENDPOINT: url(['http:', 'https:']).optional(),
    /**
     * The share of requests without a sampled `traceparent` that are traced, 0..1. A caller's
     * sampled `traceparent` is always continued (ParentBased), whatever this says.
     */
    OTEL_TRACES_SAMPLER_ARG: z.coerce.number().min(0).max(1).default(0.01),
    /** How long finished spans wait before they are exported in one request (ms). */
    OTEL_BSP_SCHEDULE_DELAY: int(10, 60_000).default(5000),

    REDIS_URL: url(['redis:', 'rediss:']).default('redis://127.0.0.1:6390'),
    /** When set, the engine talks to a Redis Cluster through these seed nodes instead. */
    REDIS_CLUSTER_NODES: hostPortList.optional(),
    /**
     * ioredis auto-pipelining: the commands of one event-loop turn leave in one write. Off
     * by default: on the api it cost throughput and memory (BENCHMARKS.md).
     */
    REDIS_AUTO_PIPELINING: bool.default(false),
    /**
     * Replicas each state change waits for (Redis WAIT) before it is answered: 0 answers
     * once the master has it (a failover can lose the last acknowledged changes, see
     * docs/SCALING.md); 1 answers once a replica has it too, at a latency cost.
     */
    REDIS_WAIT_REPLICAS: int(0, 5).default(0),
    /** How long a change waits for its replicas; past it, it is answered anyway (counted). */
    REDIS_WAIT_TIMEOUT_MS: int(1, 10_000).default(100),
    /**
     * Group commit: the most reserves of one event that one script call places, for the
     * reserves that reach an api process in the same event-loop turn; 1 sends each alone.
     */
    RESERVE_BATCH_MAX: int(1, 1000).default(8),
    /** Before every Redis key: lets several engines (or test runs) share one Redis. */
    REDIS_KEY_PREFIX: z
      .string()
      .regex(/^[\w:.-]*$/, 'letters, digits and _ : . - only')
      .default(''),
    DATABASE_URL: url(['postgres:', 'postgresql:']).default(
      'postgres://drop:drop@127.0.0.1:5440/drop',
    ),
    DATABASE_POOL_SIZE: int(1, 500).default(10),
    KAFKA_BROKERS: hostPortList.default('127.0.0.1:9192'),
    KAFKA_CLIENT_ID: z.string().trim().min(1).default('drop-engine'),
    /** Before every topic and consumer group name: isolates engines sharing one cluster. */
    KAFKA_TOPIC_PREFIX: z
      .string()
      .regex(/^[\w.-]*$/, 'letters, digits and _ . - only')
      .default(''),
    KAFKA_RESERVATIONS_PARTITIONS: int(1, 1000).default(6),
    KAFKA_CATALOG_PARTITIONS: int(1, 1000).default(3),
    KAFKA_REPLICATION_FACTOR: int(1, 10).default(1),
    /** How long a silent consumer keeps its partitions before the group rebalances. */
    KAFKA_SESSION_TIMEOUT_MS: int(6000, 300_000).default(10_000),

    /** HS256 with JWT_SECRET by default; EdDSA or RS256 with a PEM key pair. */
    JWT_ALGORITHM: z.enum(['HS256', 'EdDSA', 'RS256']).default('HS256'),
    JWT_SECRET: z.string().min(32, 'must be at least 32 characters').default(DEV_JWT_SECRET),
    /** PKCS#8 PEM, for JWT_ALGORITHM EdDSA or RS256 (the api signs). */
    JWT_PRIVATE_KEY: z.string().optional(),
    /** SPKI PEM, for JWT_ALGORITHM EdDSA or RS256 (verification). */
    JWT_PUBLIC_KEY: z.string().optional(),
    JWT_ISSUER: z.string().min(1).default('drop-engine'),
    JWT_AUDIENCE: z.string().min(1).default('drop-engine-api'),
    ACCESS_TOKEN_TTL_SECONDS: int(30, 86_400).default(900),
    REFRESH_TOKEN_TTL_SECONDS: int(60, 90 * 86_400).default(30 * 86_400),
    BCRYPT_COST: int(4, 15).default(10),
    /** bcrypt runs at once per api process (each takes a libuv thread for ~50 ms at cost 10). */
    BCRYPT_CONCURRENCY: int(1, 64).default(2),
    /** bcrypt runs waiting for a turn; past this, logins and sign-ups get 503 overloaded. */
    BCRYPT_MAX_QUEUE: int(0, 100_000).default(1000),
    ADMIN_EMAIL: z.string().trim().toLowerCase().pipe(z.email()).default('admin@example.com'),
    ADMIN_PASSWORD: z.string().min(8, 'must be at least 8 characters').default(DEV_ADMIN_PASSWORD),

    HOLD_TTL_SECONDS: int(5, 3600).default(300),
    REAPER_INTERVAL_MS: int(10, 60_000).default(250),
    /** Holds one reaper expires per event per round. */
    REAPER_BATCH_SIZE: int(1, 10_000).default(500),
    /**
     * How often each reaper takes an admission step for every waiting room (SPEC §7). The
     * rate is kept in Redis, so this only sets how smooth admission is and how soon a
     * sold-out drop reaches the queue (well inside a second).
     */
    QUEUE_ADMIT_INTERVAL_MS: int(10, 1000).default(100),
    /** How long a payment may take: a confirming hold cannot expire before it ends. */
    PAYMENT_WINDOW_SECONDS: int(1, 3600).default(60),
    /** Simulated payment latency (the payment provider is simulated, SPEC §2). */
    PAYMENT_DELAY_MS: int(0, 60_000).default(0),
    RELAY_ENABLED: bool.default(true),

    /** Where user notifications go: a log line, or a signed webhook POST. */
    NOTIFY_CHANNEL: z.enum(['log', 'webhook']).default('log'),
    NOTIFY_WEBHOOK_URL: url(['http:', 'https:']).optional(),
    /** HMAC-SHA256 key of the webhook's X-Drop-Signature header. */
    NOTIFY_WEBHOOK_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
    /** Deliveries tried before a notification is dead-lettered. */
    NOTIFY_MAX_ATTEMPTS: int(1, 50).default(6),
    /** First retry delay; each next one doubles. */
    NOTIFY_RETRY_BASE_MS: int(10, 3_600_000).default(1000),
    NOTIFY_POLL_MS: int(10, 60_000).default(200),
    /** How often the worker looks for reservations whose fan was not told (worker). */
    NOTIFY_RECONCILE_MS: int(100, 3_600_000).default(60_000),

    /** Catalog cache (event detail, search pages): in-process and Redis lifetimes. */
    CATALOG_CACHE_LOCAL_TTL_MS: int(0, 600_000).default(5000),
    CATALOG_CACHE_SHARED_TTL_MS: int(1, 3_600_000).default(30_000),
    /** Availability micro-cache; 0 = every read goes to Redis. Never more than 500 ms. */
    AVAILABILITY_CACHE_MS: int(0, 500).default(0),
    /** The availability stream (SSE): at most one message per this long per event. */
    AVAILABILITY_STREAM_MS: int(10, 10_000).default(250),
    /** Open availability streams per api process, and per user (or client ip). */
    AVAILABILITY_STREAM_MAX: int(1, 1_000_000).default(20_000),
    AVAILABILITY_STREAM_MAX_PER_USER: int(1, 1_000_000).default(10),

    /** Requests per second per client IP across the api; 0 turns the limit off. */
    RATE_LIMIT_PER_IP: int(0).default(100),
    /** Requests per second per signed-in user; 0 turns the limit off. */
    RATE_LIMIT_PER_USER: int(0).default(20),
    /** What one POST /v1/reservations costs out of those budgets: the strictest route. */
    RATE_LIMIT_RESERVE_COST: int(1, 1000).default(4),
    /** Failed logins per email + IP per minute before 429; always on. */
    LOGIN_FAILURES_PER_MINUTE: int(1).default(10),
    /** Take the client IP from X-Forwarded-For (only behind a proxy you trust). */
    TRUST_PROXY: bool.default(false),
    /** Load shedding: answer 503 when this many requests are in flight; 0 = off. */
    SHED_MAX_IN_FLIGHT: int(0).default(2000),
    /** Load shedding: answer 503 while the event loop lags more than this; 0 = off. */
    SHED_MAX_EVENT_LOOP_DELAY_MS: int(0).default(300),

    REQUEST_TIMEOUT_MS: int(100, 120_000).default(10_000),
    BODY_LIMIT_BYTES: int(1024, 10 * 1024 * 1024).default(64 * 1024),
    /** How long a graceful shutdown may take before the process is forced out. */
    SHUTDOWN_TIMEOUT_MS: int(100, 120_000).default(10_000),
    /** How long a process waits at start-up for Redis, Postgres and Kafka to answer. */
    STARTUP_TIMEOUT_MS: int(0, 600_000).default(60_000),
    /** Bound on each dependency probe of /readyz. */
    READY_CHECK_TIMEOUT_MS: int(50, 30_000).default(1500),
  })
  .superRefine((c, ctx) => {
    if (c.JWT_ALGORITHM !== 'HS256') {
      for (const key of ['JWT_PRIVATE_KEY', 'JWT_PUBLIC_KEY'] as const) {
        if (!c[key]?.includes('-----BEGIN')) {
          ctx.addIssue({
            code: 'custom',
            path: [key],
            message: `a PEM key is required with JWT_ALGORITHM ${c.JWT_ALGORITHM}`,
          });
        }
      }
    }
    if (c.NOTIFY_CHANNEL === 'webhook') {
      for (const key of ['NOTIFY_WEBHOOK_URL', 'NOTIFY_WEBHOOK_SECRET'] as const) {
        if (!c[key])
          ctx.addIssue({
            code: 'custom',
            path: [key],
            message: 'required with NOTIFY_CHANNEL webhook',
          });
      }
    }
    if (c.NODE_ENV !== 'production') return;
    if (c.JWT_ALGORITHM === 'HS256' && c.JWT_SECRET === DEV_JWT_SECRET) {
      ctx.addIssue({
        code: 'custom',
        path: ['JWT_SECRET'],
        message: 'the development secret is refused in production; set a random secret',
      });
    }
    if (c.ADMIN_PASSWORD === DEV_ADMIN_PASSWORD) {
      ctx.addIssue({
        code: 'custom',
        path: ['ADMIN_PASSWORD'],
        message: 'the development admin password is refused in production',
      });
    }
  });

export type Config = z.infer<typeof configSchema>;
type Source = Record<string, unknown>;

export class ConfigError extends Error {
  constructor(readonly issues: { key: string; message: string }[]) {
    super(`invalid configuration: ${issues.map((i) => `${i.key}: ${i.message}`).join('; ')}`);
    this.name = 'ConfigError';
  }
}

/** Reads the YAML file; its keys must be known config keys. */
export function readConfigFile(path: string): Source {
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ConfigError([{ key: 'CONFIG_FILE', message: `cannot read ${path}: ${String(err)}` }]);
  }
  if (doc == null) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    throw new ConfigError([{ key: 'CONFIG_FILE', message: `${path} must be a mapping of keys` }]);
  }
  const known = new Set(Object.keys(configSchema.shape));
  const unknown = Object.keys(doc).filter((k) => !known.has(k));
  if (unknown.length > 0) {
    throw new ConfigError(unknown.map((key) => ({ key, message: `unknown key in ${path}` })));
  }
  return doc as Source;
}

/**
 * Merges the sources by precedence and validates them. Throws ConfigError.
 * `defaultFile` is read when CONFIG_FILE is not set and the file exists.
 */
export function loadConfig(
  env: NodeJS.ProcessEnv = process.env,
  defaultFile = 'config.yml',
): Config {
  const explicit = env.CONFIG_FILE;
  const filePath = explicit ?? (existsSync(defaultFile) ? defaultFile : undefined);
  if (explicit && !existsSync(explicit)) {
    throw new ConfigError([{ key: 'CONFIG_FILE', message: `${explicit} does not exist` }]);
  }
  const file = filePath ? readConfigFile(filePath) : {};
  const merged: Source = { ...file };
  for (const key of Object.keys(configSchema.shape)) {
    const value = env[key];
    if (value !== undefined && value !== '') merged[key] = value;
  }
  const result = configSchema.safeParse(merged);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((i) => ({ key: i.path.join('.') || '(root)', message: i.message })),
    );
  }
  return result.data;
}

/** For entry points: parse once, or print which key is wrong and exit non-zero. */
export function loadConfigOrExit(env: NodeJS.ProcessEnv = process.env): Config {
  try {
    return loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) {
      for (const issue of err.issues) console.error(`config error: ${issue.key}: ${issue.message}`);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
}
