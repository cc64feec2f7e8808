// npm run perf:streams (perf/sse.sh): STREAMS open availability streams on one api process
// while a drop sells out. Prints what an open stream costs the api (RSS from /proc, V8 heap
// from its /metrics), and how long the last change (sold out) takes to reach every stream:
// each must read `available: 0` within 1 s of the last hold.
// The streams are plain sockets with a hand-written GET, not fetch: the client must hold
// tens of thousands of them next to the api on the same machine.
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const STREAMS = env('STREAMS', 5000);
const CAPACITY = env('CAPACITY', 2000);
/** Connects in flight at once while opening: the api's accept queue is not a test subject. */
const OPENING = env('OPENING', 200);
/**
 * Users reserving at once, each on a connection of its own: both processes count them
 * against their file limit next to the streams.
 */
const RESERVERS = env('RESERVERS', 100);
const base = new URL(process.env.BASE ?? 'http://127.0.0.1:8090');
const metricsUrl = process.env.API_METRICS_URL ?? 'http://127.0.0.1:9120/metrics';
const apiPid = Number(process.env.API_PID);
const users = JSON.parse(
  readFileSync(process.env.USERS_FILE ?? '.stack/stream-users.json', 'utf8'),
) as {
  accessToken: string;
}[];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const post = async (path: string, token: string | undefined, body: unknown) => {
  const res = await fetch(new URL(path, base), {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};
const cpuOf = (pid: number) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, clock ticks
};
const rssOf = (pid: number) =>
  Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
const heapOf = async () => {
  const text = await (await fetch(metricsUrl)).text();
  return Number(/^nodejs_heap_size_used_bytes(?:\{[^}]*\})? (\S+)/m.exec(text)?.[1] ?? NaN);
};
/**
 * A full garbage collection in the api, through its inspector (opened by SIGUSR1 on
 * 127.0.0.1:9229 before the first measurement): what is measured after it is what the api
 * holds, not garbage it has not collected yet. Without the inspector (false), the lowest of
 * a few samples is taken instead.
 */
async function collectGarbage(): Promise<boolean> {
  try {
    const targets = (await (await fetch('http://127.0.0.1:9229/json/list')).json()) as {
      webSocketDebuggerUrl: string;
    }[];
    const ws = new WebSocket(targets[0]?.webSocketDebuggerUrl as string);
    await new Promise((resolve, reject) => {
      ws.onopen = resolve;
      ws.onerror = reject;
    });
    await new Promise((resolve) => {
      ws.onmessage = resolve;
      ws.send(JSON.stringify({ id: 1, method: 'HeapProfiler.collectGarbage' }));
    });
    ws.close();
    return true;
  } catch {
    return false;
  }
}

/** The api's RSS and V8 heap once it is quiet, each at its lowest of a few samples. */
async function apiMemory() {
  let rss = Infinity;
  let heap = Infinity;
  for (let i = 0; i < 3; i++) {
    collected = await collectGarbage();
    await sleep(500);
    rss = Math.min(rss, rssOf(apiPid));
    heap = Math.min(heap, await heapOf());
  }
  return { rss, heap };
}
let collected = false;
process.kill(apiPid, 'SIGUSR1');
await sleep(500);

const admin = (
  await post('/v1/auth/login', undefined, {
    email: process.env.ADMIN_EMAIL ?? 'admin@example.com',
    password: process.env.ADMIN_PASSWORD ?? 'admin-dev-password',
  })
).body.accessToken as string;
const event = await post('/v1/admin/events', admin, {
  name: `streams ${Date.now()}`,
  venue: 'Stream Hall',
  startsAt: new Date(Date.now() + 86_400_000).toISOString(),
  status: 'on_sale',
  holdTtlSeconds: 600,
});
const eventId = event.body.id as string;
const categoryId = (
  await post(`/v1/admin/events/${eventId}/categories`, admin, {
    name: 'GA',
    priceCents: 100,
    capacity: CAPACITY,
  })
).body.id as string;

// Every stream notes when it first reads available 0; `tails` keeps the end of its last
// chunk, so a document cut between two reads is still matched.
const request = Buffer.from(
  `GET /v1/events/${eventId}/availability/stream HTTP/1.1\r\nHost: ${base.host}\r\nAccept: text/event-stream\r\n\r\n`,
);
const SOLD_OUT = /"available":0[,}]/;
const seenZero: (number | undefined)[] = new Array(STREAMS);
const tails: string[] = new Array(STREAMS).fill('');
const sockets: Socket[] = [];
let connected = 0;
let shed = 0;
let failed = 0;

/** Opens stream `i`; resolves once its first document arrived (or it failed). */
function open(i: number, attempt = 0): Promise<void> {
  return new Promise((resolve) => {
    const socket = connect({ host: base.hostname, port: Number(base.port) });
    socket.setEncoding('latin1');
    let head = true;
    let waiting = true;
    const fail = () => {
      failed += 1;
      resolve();
    };
    socket.once('connect', () => socket.write(request));
    socket.on('data', (chunk: string) => {
      if (head) {
        if (chunk.startsWith('HTTP/1.1 503')) {
          // As an app does: the api shedding the connect storm is retried after Retry-After.
          socket.destroy();
          shed += 1;
          const wait = Number(/retry-after: (\d+)/i.exec(chunk)?.[1] ?? 1) * 1000;
          if (attempt < 20) setTimeout(() => open(i, attempt + 1).then(resolve), wait);
          else fail();
          return;
        }
        if (!chunk.startsWith('HTTP/1.1 200')) {
          socket.destroy();
          console.error(`[streams] stream ${i}: ${chunk.split('\r\n', 1)[0]}`);
          return fail();
        }
        head = false;
        sockets[i] = socket;
      }
      const text = tails[i] + chunk;
      if (seenZero[i] === undefined && SOLD_OUT.test(text)) seenZero[i] = Date.now();
      tails[i] = text.slice(-32);
      if (waiting && text.includes('event: availability')) {
        waiting = false;
        connected += 1;
        resolve();
      }
    });
    socket.on('error', () => {
      if (head) fail();
    });
  });
}

const before = await apiMemory();
const openStarted = Date.now();
let nextStream = 0;
await Promise.all(
  Array.from({ length: Math.min(OPENING, STREAMS) }, async () => {
    while (nextStream < STREAMS && Date.now() - openStarted < 60_000) await open(nextStream++);
  }),
);
const openSeconds = (Date.now() - openStarted) / 1000;
console.error(
  `[streams] ${connected} of ${STREAMS} streams open in ${openSeconds.toFixed(1)} s (${shed} 503s retried, ${failed} failed)`,
);
const withStreams = await apiMemory();

// The drop: every seat held, 10 at a time, by RESERVERS users at once.
const cpuBefore = cpuOf(apiPid);
const dropStarted = Date.now();
let lastHeldAt = 0;
let held = 0;
let shedReserves = 0;
await Promise.all(
  Array.from({ length: RESERVERS }, async (_, worker) => {
    for (let k = worker; ; k += RESERVERS) {
      const user = users[k % users.length] as { accessToken: string };
      const res = await post('/v1/reservations', user.accessToken, {
        eventId,
        categoryId,
        quantity: 10,
      });
      if (res.status === 201) {
        held += 10;
        lastHeldAt = Date.now();
      } else if (res.status === 503) {
        // Shedding while it fans a change out to thousands of streams: retry, as apps do.
        shedReserves += 1;
        await sleep(1000);
        k -= RESERVERS;
      } else if (res.body.code === 'sold_out') return;
      else if (res.body.code !== 'limit_exceeded')
        throw new Error(`reserve: ${res.status} ${JSON.stringify(res.body)}`);
    }
  }),
);
const deadline = lastHeldAt + 5000;
while (seenZero.filter((t) => t !== undefined).length < connected && Date.now() < deadline)
  await sleep(20);
const cpuSeconds = cpuOf(apiPid) - cpuBefore;
const runSeconds = (Date.now() - dropStarted) / 1000;
// After the drop: what the streams hold once every one has been written to many times.
const sent = await apiMemory();
const delays = seenZero
  .filter((t): t is number => t !== undefined)
  .map((t) => Math.max(0, t - lastHeldAt))
  .sort((a, b) => a - b);
const q = (p: number) => delays[Math.min(delays.length - 1, Math.floor(p * delays.length))] ?? NaN;
const MB = 1024 * 1024;
const perStream = (bytes: number) => Math.round(bytes / Math.max(1, connected));
const report = {
  streams: STREAMS,
  opened: connected,
  openSeconds,
  retried503: shed,
  reservesRetried503: shedReserves,
  seatsHeld: held,
  capacity: CAPACITY,
  sawSoldOut: delays.length,
  delayMs: { p50: q(0.5), p99: q(0.99), max: delays.at(-1) },
  apiRssMB: {
    before: Math.round(before.rss / MB),
    open: Math.round(withStreams.rss / MB),
    afterDrop: Math.round(sent.rss / MB),
  },
  apiHeapMB: {
    before: Math.round(before.heap / MB),
    open: Math.round(withStreams.heap / MB),
    afterDrop: Math.round(sent.heap / MB),
  },
  perStreamBytes: {
    open: {
      rss: perStream(withStreams.rss - before.rss),
      heap: perStream(withStreams.heap - before.heap),
    },
    afterDrop: { rss: perStream(sent.rss - before.rss), heap: perStream(sent.heap - before.heap) },
  },
  apiCpu: `${cpuSeconds.toFixed(2)} s over ${runSeconds.toFixed(1)} s`,
  memoryAfterFullGc: collected,
};
console.log(JSON.stringify(report, null, 2));
for (const socket of sockets) socket?.destroy();
const ok =
  connected === STREAMS &&
  delays.length === connected &&
  (delays.at(-1) ?? Infinity) <= 1000 &&
  held === CAPACITY;
if (!ok)
  console.error(
    '[streams] FAIL: not every stream opened and read available 0 within 1 s of the last hold',
  );
process.exit(ok ? 0 : 1);
