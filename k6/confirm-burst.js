// The pipeline's end-to-end lag: holds confirmed over HTTP, then (in pipeline-lag.sh) how
// long after each api 200 its row reached Postgres. Two events: `idle` confirms 20, one at
// a time (the baseline), then `burst` confirms BURST (5,000) as fast as 100 VUs go.
//
//   npm run bench:pipeline
import { check, sleep } from 'k6';
import exec from 'k6/execution';
import http from 'k6/http';
import { Counter } from 'k6/metrics';

const BASE = __ENV.BASE_URL || 'http://127.0.0.1:8080';
const BURST = Number(__ENV.BURST || 5000);
const users = JSON.parse(open(__ENV.USERS_FILE || '../.stack/lag-users.json'));
const failures = new Counter('confirm_failures');

export const options = {
  scenarios: {
    idle: { executor: 'per-vu-iterations', vus: 1, iterations: 20, exec: 'idle' },
    burst: {
      executor: 'shared-iterations',
      vus: 100,
      iterations: BURST,
      exec: 'burst',
      startTime: '8s',
      maxDuration: '5m',
    },
  },
  thresholds: { confirm_failures: ['count==0'] },
  summaryTrendStats: ['med', 'p(95)', 'p(99)', 'max'],
};

const json = (token) => ({
  headers: {
    'Content-Type': 'application/json',
    ...(token ? { Authorization: `Bearer ${token}` } : {}),
  },
});

function createEvent(admin, name, capacity) {
  const event = http.post(
    `${BASE}/v1/admin/events`,
    JSON.stringify({
      name,
      venue: 'Lag Hall',
      startsAt: new Date(Date.now() + 86_400_000).toISOString(),
      status: 'on_sale',
      perUserLimit: 10,
    }),
    json(admin),
  );
  if (event.status !== 201) throw new Error(`create event: ${event.status} ${event.body}`);
  const category = http.post(
    `${BASE}/v1/admin/events/${event.json('id')}/categories`,
    JSON.stringify({ name: 'GA', priceCents: 5000, capacity }),
    json(admin),
  );
  if (category.status !== 201)
    throw new Error(`create category: ${category.status} ${category.body}`);
  return { eventId: event.json('id'), categoryId: category.json('id') };
}

export function setup() {
  const login = http.post(
    `${BASE}/v1/auth/login`,
    JSON.stringify({
      email: __ENV.ADMIN_EMAIL || 'admin@example.com',
      password: __ENV.ADMIN_PASSWORD || 'admin-dev-password',
    }),
    json(),
  );
  if (login.status !== 200) throw new Error(`admin login: ${login.status} ${login.body}`);
  const admin = login.json('accessToken');
  return {
    idle: createEvent(admin, `lag idle ${Date.now()}`, 20),
    burst: createEvent(admin, `lag burst ${Date.now()}`, BURST),
  };
}

function confirmOne(drop, user) {
  const held = http.post(
    `${BASE}/v1/reservations`,
    JSON.stringify({ ...drop, quantity: 1 }),
    json(user.accessToken),
  );
  if (held.status !== 201) {
    failures.add(1);
    return;
  }
  const confirmed = http.post(
    `${BASE}/v1/reservations/${held.json('id')}/confirm`,
    '{}',
    json(user.accessToken),
  );
  if (!check(confirmed, { confirmed: (r) => r.status === 200 })) failures.add(1);
}

export function idle(data) {
  confirmOne(data.idle, users[__ITER % users.length]);
  sleep(0.2);
}

export function burst(data) {
  // Round-robin over the users: none goes past the per-user limit of 10.
  confirmOne(data.burst, users[exec.scenario.iterationInTest % users.length]);
}

export function handleSummary(data) {
  const out = {
    idleEventId: data.setup_data?.idle.eventId,
    burstEventId: data.setup_data?.burst.eventId,
    failures: data.metrics.confirm_failures?.values.count ?? 0,
  };
  return {
    stdout: `${JSON.stringify(out)}\n`,
    [__ENV.SUMMARY_FILE || '../.stack/lag-summary.json']: JSON.stringify(out),
  };
}
