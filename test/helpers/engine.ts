// The whole engine as real processes — api, reaper (expiry + outbox relay) and worker
// (persister, notifier) — on a Redis of the caller's choice, with its own key and topic
// prefixes and ports; Postgres and Kafka are the shared ones of the test run.
import { randomUUID } from 'node:crypto';
import { type RunningProcess, runEntry, terminate } from './processes.js';
import { eventually, freePort } from './services.js';

export interface Engine {
  apiUrl: string;
  redisKeyPrefix: string;
  kafkaTopicPrefix: string;
  admin: { email: string; password: string };
  processes: Record<'api' | 'reaper' | 'worker', RunningProcess>;
  /** Each process's ops port (/metrics, /readyz). */
  opsPorts: Record<'api' | 'reaper' | 'worker', number>;
  /** Every process's output so far, for a failure message. */
  output(): string;
  /** SIGTERM to all three (SIGKILL after a bound). */
  stop(): Promise<void>;
}

export interface EngineOptions {
  redisUrl: string;
  /** Extra environment for all three processes. */
  env?: Record<string, string>;
}

export async function startEngine({ redisUrl, env = {} }: EngineOptions): Promise<Engine> {
  const id = randomUUID().replaceAll('-', '').slice(0, 10);
  const [port, apiOpsPort, workerPort, reaperPort] = await Promise.all([
    freePort(),
    freePort(),
    freePort(),
    freePort(),
  ]);
  const admin = { email: `faults-admin-${id}@example.test`, password: 'faults admin password' };
  const common: Record<string, string> = {
    REDIS_URL: redisUrl,
    REDIS_KEY_PREFIX: `f${id}:`,
    KAFKA_TOPIC_PREFIX: `f${id}.`,
    PORT: String(port),
    API_METRICS_PORT: String(apiOpsPort),
    WORKER_METRICS_PORT: String(workerPort),
    REAPER_METRICS_PORT: String(reaperPort),
    RATE_LIMIT_PER_IP: '0',
    RATE_LIMIT_PER_USER: '0',
    SHED_MAX_IN_FLIGHT: '0',
    SHED_MAX_EVENT_LOOP_DELAY_MS: '0',
    LOG_LEVEL: 'warn',
    BCRYPT_COST: '4',
    ADMIN_EMAIL: admin.email,
    ADMIN_PASSWORD: admin.password,
    ...env,
  };
  const processes = {
    api: runEntry('api/main.ts', common),
    reaper: runEntry('reaper/main.ts', common),
    worker: runEntry('worker/main.ts', common),
  };
  const output = () =>
    Object.entries(processes)
      .map(
        ([name, p]) =>
          `--- ${name} (exit ${p.child.exitCode ?? p.child.signalCode ?? 'running'}) ---\n${p.output().slice(-4000)}`,
      )
      .join('\n');
  const stop = async () => {
    await Promise.allSettled(
      Object.values(processes).map((p) =>
        p.child.exitCode === null && p.child.signalCode === null
          ? terminate(p, 10_000)
          : Promise.resolve(),
      ),
    );
  };
  try {
    for (const p of [port, workerPort, reaperPort]) {
      await eventually(async () => (await fetch(`http://127.0.0.1:${p}/readyz`)).ok, {
        timeoutMs: 60_000,
        intervalMs: 100,
        what: `readyz on ${p} (${p === port ? 'api' : p === workerPort ? 'worker' : 'reaper'})`,
      });
    }
  } catch (err) {
    await stop();
    throw new Error(`${String(err)}\n${output()}`);
  }
  return {
    apiUrl: `http://127.0.0.1:${port}`,
    redisKeyPrefix: common.REDIS_KEY_PREFIX as string,
    kafkaTopicPrefix: common.KAFKA_TOPIC_PREFIX as string,
    admin,
    processes,
    opsPorts: { api: apiOpsPort, worker: workerPort, reaper: reaperPort },
    output,
    stop,
  };
}

/** An HTTP call to an engine's api, as a client sends it; the JSON body parsed. */
export async function callApi(
  engine: Engine,
  method: string,
  path: string,
  token?: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  const res = await fetch(`${engine.apiUrl}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return {
    status: res.status,
    body: (text ? JSON.parse(text) : {}) as Record<string, unknown>,
    headers: res.headers,
  };
}

/** The engine's admin's token, and an on-sale drop with one category, made the operator's way. */
export async function engineDrop(
  engine: Engine,
  event: Record<string, unknown>,
  capacity: number,
): Promise<{ admin: string; eventId: string; categoryId: string }> {
  const admin = (await callApi(engine, 'POST', '/v1/auth/login', undefined, engine.admin)).body
    .accessToken as string;
  const created = await callApi(engine, 'POST', '/v1/admin/events', admin, {
    venue: 'Test Hall',
    startsAt: new Date(Date.now() + 86_400_000).toISOString(),
    status: 'on_sale',
    ...event,
  });
  const eventId = created.body.id as string;
  const category = await callApi(engine, 'POST', `/v1/admin/events/${eventId}/categories`, admin, {
    name: 'GA',
    priceCents: 100,
    capacity,
  });
  return { admin, eventId, categoryId: category.body.id as string };
}
