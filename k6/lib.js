// The one preamble of the k6 scenarios: where the engine is (BASE_URL, BASE_URLS: this
// machine only), the load-test users, request options, the admin's sign-in, a drop set up
// the way an operator does it (an on-sale event with one category, by count or seated),
// the SLO thresholds, and the summary every scenario prints and writes to SUMMARY_FILE.
import http from 'k6/http';
import { Counter } from 'k6/metrics';

export const BASE = __ENV.BASE_URL || (__ENV.BASE_URLS || 'http://127.0.0.1:8080').split(',')[0];

export const json = (token) => ({
  headers: {
    'Content-Type': 'application/json',
    ...(token ? { Authorization: `Bearer ${token}` } : {}),
  },
});

/** One reserve (quantity 1 unless given) by `user`, tagged `reserve` for the thresholds. */
export function reserve(base, user, { eventId, categoryId }, quantity = 1) {
  return http.post(`${base}/v1/reservations`, JSON.stringify({ eventId, categoryId, quantity }), {
    ...json(user.accessToken),
    tags: { name: 'reserve' },
  });
}

/** Confirms a hold `user` made, tagged `confirm`. */
export function confirm(base, user, holdId) {
  return http.post(`${base}/v1/reservations/${holdId}/confirm`, '{}', {
    ...json(user.accessToken),
    tags: { name: 'confirm' },
  });
}

export function adminLogin() {
  const res = http.post(
    `${BASE}/v1/auth/login`,
    JSON.stringify({
      email: __ENV.ADMIN_EMAIL || 'admin@example.com',
      password: __ENV.ADMIN_PASSWORD || 'admin-dev-password',
    }),
    json(),
  );
  if (res.status !== 200) throw new Error(`admin login: ${res.status} ${res.body}`);
  return res.json('accessToken');
}

/**
 * An on-sale event with one category: `capacity` tickets, or the seats of `seatMap` (a
 * seated category, SPEC §8): {eventId, categoryId}.
 */
export function createDrop(
  admin,
  { name, capacity, seatMap, noSingleSeatGaps, holdTtlSeconds, perUserLimit = 10 },
) {
  const event = http.post(
    `${BASE}/v1/admin/events`,
    JSON.stringify({
      name,
      venue: 'Load Hall',
      startsAt: new Date(Date.now() + 86_400_000).toISOString(),
      status: 'on_sale',
      holdTtlSeconds,
      perUserLimit,
    }),
    json(admin),
  );
  if (event.status !== 201) throw new Error(`create event: ${event.status} ${event.body}`);
  const eventId = event.json('id');
  const category = http.post(
    `${BASE}/v1/admin/events/${eventId}/categories`,
    JSON.stringify(
      seatMap
        ? { name: 'Seats', priceCents: 5000, seatMap, noSingleSeatGaps }
        : { name: 'GA', priceCents: 5000, capacity },
    ),
    json(admin),
  );
  if (category.status !== 201)
    throw new Error(`create category: ${category.status} ${category.body}`);
  return { eventId, categoryId: category.json('id') };
}

// Load goes to this machine only: a k6 run must never reach someone else's server.
export const BASES = (__ENV.BASE_URLS || BASE).split(',');
for (const url of BASES) {
  if (!/^http:\/\/(127\.0\.0\.1|localhost)(:\d+)?$/.test(url))
    throw new Error(`load only targets 127.0.0.1, not ${url}`);
}
/** The api process this virtual user talks to: VUs are spread over BASE_URLS. */
export const baseOf = (vu) => BASES[vu % BASES.length];

/**
 * Load-test users with tokens: [{email, userId, accessToken}] (npm run token --
 * --create-users), from USERS_FILE or the scenario's default file.
 */
export const loadUsers = (file = '../.stack/load-users.json') =>
  JSON.parse(open(__ENV.USERS_FILE || file));

/**
 * Answers a drop expects besides 2xx: 409 (sold_out, limit_exceeded) and 429. Anything else
 * counts in http_req_failed, which the SLO keeps under 0.1 %.
 */
http.setResponseCallback(http.expectedStatuses({ min: 200, max: 299 }, 304, 409, 429));

/** Seats the run was told it got (201) and paid for (200): what check-drop.ts compares. */
export const seats = {
  held: new Counter('drop_seats_held'),
  confirmed: new Counter('drop_seats_confirmed'),
};

/**
 * A drop's arrivals: ramping up to `rate` a second over RAMP (10 s), held for HOLD (30 s),
 * then down; each an iteration of its own whatever the answers' latency, as phones press.
 */
export const surgeScenario = (rate) => ({
  executor: 'ramping-arrival-rate',
  startRate: 0,
  timeUnit: '1s',
  preAllocatedVUs: Number(__ENV.VUS || 300),
  maxVUs: Number(__ENV.MAX_VUS || 1000),
  stages: [
    { target: rate, duration: __ENV.RAMP || '10s' },
    { target: rate, duration: __ENV.HOLD || '30s' },
    { target: 0, duration: '5s' },
  ],
});

export const SLO = {
  'http_req_duration{name:reserve}': ['p(95)<50', 'p(99)<100'],
  http_req_failed: ['rate<0.001'],
  checks: ['rate>0.99'],
};

/** med / p95 / p99 / max of the requests tagged `name`, in ms. */
export function latency(data, name) {
  const v = data.metrics[`http_req_duration{name:${name}}`]?.values ?? {};
  return { med: v.med, p95: v['p(95)'], p99: v['p(99)'], max: v.max };
}

/**
 * handleSummary for a drop scenario: the drop, the seats, failures, checks and thresholds,
 * plus the scenario's own `fields(count)`; printed, and written to SUMMARY_FILE for
 * perf/check-drop.ts.
 */
export function summarize(data, scenario, fields) {
  const count = (name) => data.metrics[name]?.values.count ?? 0;
  const summary = {
    scenario,
    eventId: data.setup_data?.eventId,
    categoryId: data.setup_data?.categoryId,
    apiProcesses: BASES.length,
    seconds: data.state.testRunDurationMs / 1000,
    httpRps: data.metrics.http_reqs.values.rate,
    seatsHeld: count('drop_seats_held'),
    seatsConfirmed: count('drop_seats_confirmed'),
    ...fields(count),
    failedRate: data.metrics.http_req_failed?.values.rate,
    checksRate: data.metrics.checks?.values.rate,
    thresholds: thresholdResults(data),
  };
  return summaryOutput(scenario, summary);
}

/**
 * A scenario's handleSummary answer: `summary` printed (pretty, or on one line after
 * `label`) and written to SUMMARY_FILE (default .stack/<scenario>-summary.json), where the
 * runners in perf/ read it.
 */
export function summaryOutput(scenario, summary, label) {
  return {
    stdout: label
      ? `${label}: ${JSON.stringify(summary)}\n`
      : `${JSON.stringify(summary, null, 2)}\n`,
    [__ENV.SUMMARY_FILE || `../.stack/${scenario}-summary.json`]: JSON.stringify(summary),
  };
}

/** Every threshold with whether it held: {"metric: rule": true|false}. */
function thresholdResults(data) {
  const out = {};
  for (const [name, metric] of Object.entries(data.metrics))
    for (const [rule, { ok }] of Object.entries(metric.thresholds ?? {}))
      out[`${name}: ${rule}`] = ok;
  return out;
}
