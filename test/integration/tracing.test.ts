// One trace per reservation, for real: the engine's three processes send their spans over
// OTLP to a real Jaeger (tools/stack/jaeger.sh, v1.75.0 built from its Go module; built
// here first when missing), and the trace is read back through Jaeger's query API. A
// reserve and its confirm sent with a caller's traceparent make spans in the api, the
// relay and the worker under that one trace id, each the child of the one before it, and
// the relay's and the worker's log lines of each change carry that trace id and the
// request's id; a give back (release, cancel) continues its own request's trace the same
// way. A request without a traceparent is traced at the ratio (0 here: never; 1 in a
// second api: always).
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchTrace, type TraceSpan, traceTree } from '../../tools/dev/trace.js';
import { callApi, type Engine, engineDrop, startEngine } from '../helpers/engine.js';
import { type RunningProcess, runCommand, runEntry, terminate } from '../helpers/processes.js';
import { eventually, freePort, services } from '../helpers/services.js';

let jaeger: RunningProcess | undefined;
let queryUrl = '';
let otlpUrl = '';
let engine: Engine | undefined;
let sampledApi: RunningProcess | undefined;

/** Spans wait this long (ms) before they are exported: the test reads them soon after. */
const EXPORT_DELAY = '100';

beforeAll(async () => {
  // Built once into .stack/jaeger (minutes, the first time only); then it starts in a second.
  const built = runCommand('bash', ['tools/stack/jaeger.sh', 'build']);
  expect(await built.exited, built.output()).toBe(0);
  const [ui, queryGrpc, otlpHttp, otlpGrpc] = await Promise.all([
    freePort(),
    freePort(),
    freePort(),
    freePort(),
  ]);
  jaeger = runCommand('bash', ['tools/stack/jaeger.sh', 'run'], {
    JAEGER_UI_PORT: String(ui),
    JAEGER_QUERY_GRPC_PORT: String(queryGrpc),
    JAEGER_OTLP_HTTP_PORT: String(otlpHttp),
    JAEGER_OTLP_GRPC_PORT: String(otlpGrpc),
    JAEGER_DIR: mkdtempSync(join(tmpdir(), 'jaeger-')),
    JAEGER_BIN: built.output().trim().split('\n').at(-1) as string,
  });
  queryUrl = `http://127.0.0.1:${ui}`;
  otlpUrl = `http://127.0.0.1:${otlpHttp}`;
  await eventually(async () => (await fetch(`${queryUrl}/api/services`)).ok, {
    timeoutMs: 30_000,
    intervalMs: 100,
    what: `jaeger answering on ${queryUrl}`,
  });
  engine = await startEngine({
    redisUrl: services().redisUrl,
    env: {
      OTEL_EXPORTER_OTLP_ENDPOINT: otlpUrl,
      // Only callers' sampled traceparents are traced by this engine.
      OTEL_TRACES_SAMPLER_ARG: '0',
      OTEL_BSP_SCHEDULE_DELAY: EXPORT_DELAY,
      LOG_LEVEL: 'info',
    },
  });
}, 1_800_000);

afterAll(async () => {
  if (sampledApi) await terminate(sampledApi, 10_000);
  await engine?.stop();
  if (jaeger) await terminate(jaeger, 10_000);
});

const hex = (bytes: number) => randomBytes(bytes).toString('hex');

/** A caller's sampled W3C traceparent: its trace id and the span the engine continues. */
function callerTrace() {
  const traceId = hex(16);
  const callerSpanId = hex(8);
  return { traceId, callerSpanId, traceparent: `00-${traceId}-${callerSpanId}-01` };
}

async function signedInFan(e: Engine) {
  const fan = { email: `traced-${hex(6)}@example.test`, password: 'a traced fan' };
  await callApi(e, 'POST', '/v1/auth/register', undefined, fan);
  return (await callApi(e, 'POST', '/v1/auth/login', undefined, fan)).body.accessToken as string;
}

/** Waits until the trace holds spans matching every check (Jaeger stores as they come). */
async function traceWith(traceId: string, wanted: ((spans: TraceSpan[]) => boolean)[]) {
  let spans: TraceSpan[] = [];
  await eventually(
    async () => {
      spans = await fetchTrace(queryUrl, traceId);
      return wanted.every((w) => w(spans));
    },
    { timeoutMs: 60_000, intervalMs: 200, what: `trace ${traceId} complete` },
  ).catch((err) => {
    throw new Error(`${String(err)}\n${traceTree(spans)}\n${engine?.output() ?? ''}`);
  });
  return spans;
}

/** The one span of `service` named `name` (with `attribute` = value when given). */
function only(spans: TraceSpan[], service: string, name: string, attribute?: [string, unknown]) {
  const found = spans.filter(
    (s) =>
      s.service === `drop-${service}` &&
      s.name === name &&
      (!attribute || s.attributes[attribute[0]] === attribute[1]),
  );
  expect(found, `${service} ${name} ${attribute ?? ''} in\n${traceTree(spans)}`).toHaveLength(1);
  return found[0] as TraceSpan;
}

const has =
  (service: string, name: string, attribute?: [string, unknown]) => (spans: TraceSpan[]) =>
    spans.some(
      (s) =>
        s.service === `drop-${service}` &&
        s.name === name &&
        (!attribute || s.attributes[attribute[0]] === attribute[1]),
    );

/** A process's JSON log lines that name `traceId` (pino, one object per line). */
function logLinesOf(p: RunningProcess, traceId: string): Record<string, unknown>[] {
  return p
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{') && line.includes(traceId))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/**
 * Waits until `p` wrote a line `msg` about the reservation's change `type` under the trace,
 * and returns it: the relay's and the worker's lines come once Kafka, or Postgres, took it.
 */
async function changeLine(
  p: RunningProcess,
  traceId: string,
  msg: string,
  change: { reservationId: string; type: string; group?: string },
): Promise<Record<string, unknown>> {
  let line: Record<string, unknown> | undefined;
  await eventually(
    async () => {
      line = logLinesOf(p, traceId).find(
        (l) =>
          l.msg === msg &&
          l.reservationId === change.reservationId &&
          l.type === change.type &&
          (!change.group || String(l.group).endsWith(change.group)),
      );
      return line !== undefined;
    },
    { timeoutMs: 30_000, intervalMs: 100, what: `${msg} ${JSON.stringify(change)} in ${traceId}` },
  ).catch((err) => {
    throw new Error(`${String(err)}\n${engine?.output() ?? ''}`);
  });
  return line as Record<string, unknown>;
}

/** Searches the api's traces by a request id (the request span's attribute). */
async function tracesOfRequest(requestId: string): Promise<unknown[]> {
  const tags = encodeURIComponent(JSON.stringify({ 'drop.request_id': requestId }));
  const res = await fetch(`${queryUrl}/api/traces?service=drop-api&tags=${tags}&lookback=1h`);
  return ((await res.json()) as { data: unknown[] | null }).data ?? [];
}

describe('tracing', () => {
  it('one reserve and its confirm: api, relay and worker spans under the caller’s trace', async () => {
    const e = engine as Engine;
    const { eventId, categoryId } = await engineDrop(e, { name: 'Traced drop' }, 10);
    const token = await signedInFan(e);
    const { traceId, callerSpanId, traceparent } = callerTrace();
    // The reserve's request id is the caller's; the confirm's is the one the api gave it.
    const reserveRequestId = `reserve-${hex(6)}`;

    const held = await callApi(
      e,
      'POST',
      '/v1/reservations',
      token,
      { eventId, categoryId, quantity: 2 },
      { traceparent, 'x-request-id': reserveRequestId },
    );
    expect(held.status).toBe(201);
    expect(held.headers.get('x-request-id')).toBe(reserveRequestId);
    const holdId = held.body.id as string;
    const confirmed = await callApi(
      e,
      'POST',
      `/v1/reservations/${holdId}/confirm`,
      token,
      {},
      { traceparent },
    );
    expect(confirmed.status).toBe(200);
    const confirmRequestId = confirmed.headers.get('x-request-id') as string;
    expect(confirmRequestId).toMatch(/^[\w-]+$/);
    expect(confirmRequestId).not.toBe(reserveRequestId);

    const stepOf = (type: string): [string, unknown] => ['drop.change.type', type];
    const topic = `${e.kafkaTopicPrefix}reservations.v1`;
    const spans = await traceWith(traceId, [
      has('api', 'POST /v1/reservations'),
      has('api', 'POST /v1/reservations/:id/confirm'),
      has('reaper', `create ${topic}`, stepOf('reservation.held')),
      has('reaper', `create ${topic}`, stepOf('reservation.confirmed')),
      (s) => s.filter((x) => x.name === 'postgres upsert reservations').length >= 2,
      has('worker', 'postgres insert notifications'),
    ]);

    // The api: the request continues the caller's span; the hold change is its child.
    const reserve = only(spans, 'api', 'POST /v1/reservations');
    expect(reserve.parentId).toBe(callerSpanId);
    expect(reserve.attributes).toMatchObject({
      'http.route': '/v1/reservations',
      'http.response.status_code': 201,
    });
    const hold = only(spans, 'api', 'hold reserve');
    expect(hold.parentId).toBe(reserve.spanId);
    expect(hold.attributes).toMatchObject({
      'drop.script': 'reserve',
      'drop.event_id': eventId,
      'drop.reservation_id': holdId,
      'drop.hold.outcome': 'placed',
      'drop.reserve.group_size': 1,
    });

    // The relay: the outbox entry is the hold's child; the Kafka request that carried it is
    // the child of its batch's first traced entry and linked to the others.
    const heldEntry = only(spans, 'reaper', `create ${topic}`, stepOf('reservation.held'));
    expect(heldEntry.parentId).toBe(hold.spanId);
    expect(heldEntry.attributes['drop.reservation_id']).toBe(holdId);
    const carried = (entry: TraceSpan) =>
      spans.some(
        (s) =>
          s.name === `send ${topic}` &&
          (s.parentId === entry.spanId || s.links.includes(entry.spanId)),
      );
    expect(carried(heldEntry), traceTree(spans)).toBe(true);

    // The worker: each group's processing is the entry's child; the write is under it.
    const heldProcessed = spans.filter((s) => s.parentId === heldEntry.spanId);
    expect(heldProcessed.map((s) => `${s.service} ${s.name}`)).toContain(
      `drop-worker process ${topic}`,
    );
    const persisted = heldProcessed.find((s) =>
      String(s.attributes['messaging.consumer.group.name']).endsWith('persister'),
    );
    expect(persisted, traceTree(spans)).toBeDefined();
    expect(
      spans.some(
        (s) => s.name === 'postgres upsert reservations' && s.parentId === persisted?.spanId,
      ),
    ).toBe(true);

    // The confirm: the same chain, and the sale's own write in the api.
    const confirm = only(spans, 'api', 'POST /v1/reservations/:id/confirm');
    expect(confirm.parentId).toBe(callerSpanId);
    expect(confirm.attributes['http.route']).toBe('/v1/reservations/:id/confirm');
    const confirmHold = only(spans, 'api', 'hold confirm');
    expect(confirmHold.parentId).toBe(confirm.spanId);
    expect(only(spans, 'api', 'postgres record sale').parentId).toBe(confirm.spanId);
    const confirmedEntry = only(
      spans,
      'reaper',
      `create ${topic}`,
      stepOf('reservation.confirmed'),
    );
    expect(confirmedEntry.parentId).toBe(confirmHold.spanId);
    expect(carried(confirmedEntry), traceTree(spans)).toBe(true);
    const notified = spans.find(
      (s) =>
        s.parentId === confirmedEntry.spanId &&
        String(s.attributes['messaging.consumer.group.name']).endsWith('notifier'),
    );
    expect(notified?.attributes['drop.notification.kind']).toBe('reservation.confirmed');
    expect(
      spans.some(
        (s) => s.name === 'postgres insert notifications' && s.parentId === notified?.spanId,
      ),
    ).toBe(true);

    // The request's log line carries its trace.
    expect(e.processes.api.output()).toMatch(
      new RegExp(`"traceId":"${traceId}".*"route":"/v1/reservations"`),
    );

    // The relay's and the worker's lines of each change carry the trace, the span that did
    // the work (the one in Jaeger), and the id of the request that made the change.
    const { reaper, worker } = e.processes;
    const heldChange = { reservationId: holdId, type: 'reservation.held' };
    expect(await changeLine(reaper, traceId, 'change relayed', heldChange)).toMatchObject({
      reqId: reserveRequestId,
      traceId,
      spanId: heldEntry.spanId,
    });
    expect(
      await changeLine(worker, traceId, 'change persisted', { ...heldChange, group: 'persister' }),
    ).toMatchObject({ reqId: reserveRequestId, traceId, spanId: persisted?.spanId, seq: 1 });
    const heldNoticed = await changeLine(worker, traceId, 'change processed', {
      ...heldChange,
      group: 'notifier',
    });
    expect(heldNoticed).toMatchObject({ reqId: reserveRequestId, traceId });
    expect(heldNoticed.notification).toBeUndefined();

    const confirmedChange = { reservationId: holdId, type: 'reservation.confirmed' };
    expect(await changeLine(reaper, traceId, 'change relayed', confirmedChange)).toMatchObject({
      reqId: confirmRequestId,
      traceId,
      spanId: confirmedEntry.spanId,
    });
    expect(
      await changeLine(worker, traceId, 'change persisted', {
        ...confirmedChange,
        group: 'persister',
      }),
    ).toMatchObject({ reqId: confirmRequestId, traceId, seq: 2 });
    expect(
      await changeLine(worker, traceId, 'change processed', {
        ...confirmedChange,
        group: 'notifier',
      }),
    ).toMatchObject({
      reqId: confirmRequestId,
      traceId,
      spanId: notified?.spanId,
      notification: 'reservation.confirmed',
    });
  }, 120_000);

  it('a give back continues its request’s trace: release and cancel, relay and worker', async () => {
    const e = engine as Engine;
    const { eventId, categoryId } = await engineDrop(e, { name: 'Given back drop' }, 10);
    const token = await signedInFan(e);
    // Placed (and one sold) untraced: only the give backs are followed.
    const place = async () => {
      const held = await callApi(e, 'POST', '/v1/reservations', token, {
        eventId,
        categoryId,
        quantity: 1,
      });
      expect(held.status).toBe(201);
      return held.body.id as string;
    };
    const toRelease = await place();
    const toCancel = await place();
    expect(
      (await callApi(e, 'POST', `/v1/reservations/${toCancel}/confirm`, token, {})).status,
    ).toBe(200);

    const topic = `${e.kafkaTopicPrefix}reservations.v1`;
    const { reaper, worker } = e.processes;
    for (const [holdId, type] of [
      [toRelease, 'reservation.released'],
      [toCancel, 'reservation.cancelled'],
    ] as const) {
      const { traceId, callerSpanId, traceparent } = callerTrace();
      const requestId = `give-back-${hex(6)}`;
      const ended = await callApi(e, 'DELETE', `/v1/reservations/${holdId}`, token, undefined, {
        traceparent,
        'x-request-id': requestId,
      });
      expect(ended.status).toBe(200);
      expect(`reservation.${ended.body.status}`).toBe(type);

      const spans = await traceWith(traceId, [
        has('api', 'hold giveBack'),
        has('reaper', `create ${topic}`, ['drop.change.type', type]),
        has('worker', 'postgres upsert reservations'),
      ]);
      const request = only(spans, 'api', 'DELETE /v1/reservations/:id');
      expect(request.parentId).toBe(callerSpanId);
      const hold = only(spans, 'api', 'hold giveBack');
      expect(hold.parentId).toBe(request.spanId);
      expect(hold.attributes).toMatchObject({
        'drop.script': 'giveBack',
        'drop.event_id': eventId,
        'drop.reservation_id': holdId,
        'drop.hold.outcome': 'changed',
      });
      // The outbox entry carried the give back's traceparent: the relay's span is its child.
      const entry = only(spans, 'reaper', `create ${topic}`, ['drop.change.type', type]);
      expect(entry.parentId).toBe(hold.spanId);
      expect(entry.attributes['drop.reservation_id']).toBe(holdId);
      expect(spans.filter((s) => s.parentId === entry.spanId).map((s) => s.service)).toContain(
        'drop-worker',
      );

      const change = { reservationId: holdId, type };
      expect(await changeLine(reaper, traceId, 'change relayed', change)).toMatchObject({
        reqId: requestId,
        spanId: entry.spanId,
      });
      expect(
        await changeLine(worker, traceId, 'change persisted', { ...change, group: 'persister' }),
      ).toMatchObject({ reqId: requestId, seq: type === 'reservation.released' ? 2 : 3 });
      const noticed = await changeLine(worker, traceId, 'change processed', {
        ...change,
        group: 'notifier',
      });
      expect(noticed.reqId).toBe(requestId);
      // A cancelled sale is told to its fan (a released hold is not).
      expect(noticed.notification).toBe(type === 'reservation.cancelled' ? type : undefined);
    }
  }, 120_000);

  it('reserves committed as a group: each trace holds its own request’s spans only', async () => {
    const e = engine as Engine;
    const { eventId, categoryId } = await engineDrop(e, { name: 'Grouped drop' }, 100);
    const fans = await Promise.all(Array.from({ length: 8 }, () => signedInFan(e)));
    const callers = fans.map(() => ({ ...callerTrace(), requestId: `grouped-${hex(6)}` }));
    // At once: the reserves that reach the api in one turn go as one script call.
    const held = await Promise.all(
      fans.map((token, i) =>
        callApi(
          e,
          'POST',
          '/v1/reservations',
          token,
          { eventId, categoryId, quantity: 1 },
          {
            traceparent: callers[i]?.traceparent as string,
            'x-request-id': callers[i]?.requestId as string,
          },
        ),
      ),
    );
    expect(held.map((h) => h.status)).toEqual(fans.map(() => 201));
    const topic = `${e.kafkaTopicPrefix}reservations.v1`;
    const sizes: unknown[] = [];
    for (const [i, { traceId, callerSpanId, requestId }] of callers.entries()) {
      const spans = await traceWith(traceId, [
        has('worker', 'postgres upsert reservations'),
        has('reaper', `create ${topic}`),
      ]);
      const request = only(spans, 'api', 'POST /v1/reservations');
      expect(request.parentId).toBe(callerSpanId);
      // One hold change, its own request's, whatever group it went in; the group's script
      // call belongs to no request's trace.
      const hold = only(spans, 'api', 'hold reserve');
      expect(hold.parentId).toBe(request.spanId);
      expect(hold.attributes['drop.reservation_id']).toBe(held[i]?.body.id);
      sizes.push(hold.attributes['drop.reserve.group_size']);
      expect(hold.attributes['drop.script']).toBe(
        hold.attributes['drop.reserve.group_size'] === 1 ? 'reserve' : 'reserveBatch',
      );
      expect(only(spans, 'reaper', `create ${topic}`).parentId).toBe(hold.spanId);
      // Its outbox entry carried its own request's id, whatever its place in the group.
      const change = { reservationId: held[i]?.body.id as string, type: 'reservation.held' };
      expect((await changeLine(e.processes.reaper, traceId, 'change relayed', change)).reqId).toBe(
        requestId,
      );
      expect(
        (await changeLine(e.processes.worker, traceId, 'change persisted', change)).reqId,
      ).toBe(requestId);
    }
    console.log(`group sizes of 8 reserves sent at once: ${sizes.join(', ')}`);
  }, 120_000);

  it('a request without a traceparent is traced at the ratio: 0 never, 1 always', async () => {
    const e = engine as Engine;
    const token = await signedInFan(e);
    const untraced = `untraced-${hex(6)}`;
    const unsampled = `unsampled-${hex(6)}`;
    expect(
      (await callApi(e, 'GET', '/v1/me', token, undefined, { 'x-request-id': untraced })).status,
    ).toBe(200);
    // A caller that says "not sampled" is not traced either (ParentBased).
    const notSampled = `00-${hex(16)}-${hex(8)}-00`;
    await callApi(e, 'GET', '/v1/me', token, undefined, {
      'x-request-id': unsampled,
      traceparent: notSampled,
    });
    // A sampled request after them: once its trace is in, theirs would have been too.
    const after = callerTrace();
    await callApi(e, 'GET', '/v1/me', token, undefined, { traceparent: after.traceparent });
    await traceWith(after.traceId, [has('api', 'GET /v1/me')]);
    expect(await tracesOfRequest(untraced)).toEqual([]);
    expect(await tracesOfRequest(unsampled)).toEqual([]);

    // A second api on the same engine, tracing every request.
    const port = await freePort();
    sampledApi = runEntry('api/main.ts', {
      REDIS_URL: services().redisUrl,
      REDIS_KEY_PREFIX: e.redisKeyPrefix,
      KAFKA_TOPIC_PREFIX: e.kafkaTopicPrefix,
      PORT: String(port),
      ADMIN_EMAIL: e.admin.email,
      ADMIN_PASSWORD: e.admin.password,
      BCRYPT_COST: '4',
      RATE_LIMIT_PER_IP: '0',
      RATE_LIMIT_PER_USER: '0',
      OTEL_EXPORTER_OTLP_ENDPOINT: otlpUrl,
      OTEL_TRACES_SAMPLER_ARG: '1',
      OTEL_BSP_SCHEDULE_DELAY: EXPORT_DELAY,
    });
    await eventually(async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).ok, {
      timeoutMs: 60_000,
      intervalMs: 100,
      what: 'the second api ready',
    });
    const traced = `traced-${hex(6)}`;
    const res = await fetch(`http://127.0.0.1:${port}/v1/me`, {
      headers: { authorization: `Bearer ${token}`, 'x-request-id': traced },
    });
    expect(res.status).toBe(200);
    await eventually(async () => (await tracesOfRequest(traced)).length === 1, {
      timeoutMs: 30_000,
      intervalMs: 200,
      what: `a trace of request ${traced}`,
    });
  }, 120_000);
});
