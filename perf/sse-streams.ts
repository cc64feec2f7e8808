// npm run perf:streams (perf/sse.sh): STREAMS open availability streams on one api
// process while a drop sells out; every stream must read `available: 0` within 1 s of the
// last hold. Prints the delivery delays, and the api's RSS and CPU during the run.
import { readFileSync } from 'node:fs';

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const STREAMS = env('STREAMS', 5000);
const CAPACITY = env('CAPACITY', 2000);
const base = process.env.BASE ?? 'http://127.0.0.1:8090';
const apiPid = Number(process.env.API_PID);
const users = JSON.parse(
  readFileSync(process.env.USERS_FILE ?? '.stack/stream-users.json', 'utf8'),
) as {
  accessToken: string;
}[];

const post = async (path: string, token: string | undefined, body: unknown) => {
  const res = await fetch(`${base}${path}`, {
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
  Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;

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

// Open every stream; each notes when it first reads available 0.
const rssBefore = rssOf(apiPid);
const seenZero: (number | undefined)[] = new Array(STREAMS);
const controllers: AbortController[] = [];
const opened: Promise<void>[] = [];
let connected = 0;
let shed = 0;
let shedReserves = 0;
const openStarted = Date.now();
for (let i = 0; i < STREAMS; i++) {
  const controller = new AbortController();
  controllers.push(controller);
  opened.push(
    (async () => {
      // As an app does: a 503 (the api shedding the connect storm) is retried after Retry-After.
      let res: Response;
      for (let attempt = 0; ; attempt++) {
        res = await fetch(`${base}/v1/events/${eventId}/availability/stream`, {
          signal: controller.signal,
        });
        if (res.status !== 503 || attempt >= 20) break;
        shed += 1;
        await res.body?.cancel();
        await new Promise((r) => setTimeout(r, Number(res.headers.get('retry-after') ?? 1) * 1000));
      }
      if (res.status !== 200 || !res.body) throw new Error(`stream ${i}: ${res.status}`);
      connected += 1;
      const decoder = new TextDecoder();
      let text = '';
      try {
        for await (const chunk of res.body) {
          text += decoder.decode(chunk as Uint8Array, { stream: true });
          if (seenZero[i] === undefined && /"available":0[,}]/.test(text)) seenZero[i] = Date.now();
          if (text.length > 4096) text = text.slice(-1024);
        }
      } catch {
        // aborted at the end
      }
    })(),
  );
}
while (connected < STREAMS && Date.now() - openStarted < 60_000)
  await new Promise((r) => setTimeout(r, 100));
const openSeconds = (Date.now() - openStarted) / 1000;
console.error(
  `[streams] ${connected} of ${STREAMS} streams open in ${openSeconds.toFixed(1)} s (${shed} 503s retried)`,
);

// The drop: every seat held, 10 at a time, by many users at once.
const cpuBefore = cpuOf(apiPid);
const dropStarted = Date.now();
let lastHeldAt = 0;
let held = 0;
await Promise.all(
  Array.from({ length: 100 }, async (_, worker) => {
    for (let k = worker; ; k += 100) {
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
        await new Promise((r) => setTimeout(r, 1000));
        k -= 100;
      } else if (res.body.code === 'sold_out') return;
      else if (res.body.code !== 'limit_exceeded')
        throw new Error(`reserve: ${res.status} ${JSON.stringify(res.body)}`);
    }
  }),
);
const deadline = lastHeldAt + 5000;
while (seenZero.filter((t) => t !== undefined).length < STREAMS && Date.now() < deadline)
  await new Promise((r) => setTimeout(r, 50));
const cpuSeconds = cpuOf(apiPid) - cpuBefore;
const runSeconds = (Date.now() - dropStarted) / 1000;
const delays = seenZero
  .filter((t): t is number => t !== undefined)
  .map((t) => Math.max(0, t - lastHeldAt))
  .sort((a, b) => a - b);
const q = (p: number) => delays[Math.min(delays.length - 1, Math.floor(p * delays.length))] ?? NaN;
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
  apiRssMB: { before: Math.round(rssBefore), after: Math.round(rssOf(apiPid)) },
  apiCpu: `${cpuSeconds.toFixed(2)} s over ${runSeconds.toFixed(1)} s`,
};
console.log(JSON.stringify(report, null, 2));
for (const c of controllers) c.abort();
await Promise.allSettled(opened);
const ok = delays.length === STREAMS && (delays.at(-1) ?? Infinity) <= 1000 && held === CAPACITY;
if (!ok)
  console.error('[streams] FAIL: not every stream read available 0 within 1 s of the last hold');
process.exit(ok ? 0 : 1);
