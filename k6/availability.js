// Realtime availability: CLIENTS phones (500) each poll an event's availability every
// POLL_SECONDS (1 s) for DURATION (45 s), sending back the ETag they last saw, so an
// unchanged answer is a bodiless 304. For the first BUY_FOR (15 s) buyers reserve RATE (50)
// tickets a second, so the stock and its ETag change under the pollers (200s); then the
// stock rests and the pollers should get 304s.
//
//   npm run perf:availability
//
// SLOs: availability and reserve p95 < 50 ms and p99 < 100 ms, failures under 0.1 %,
// checks over 99 %.
import { check, sleep } from 'k6';
import exec from 'k6/execution';
import http from 'k6/http';
import { Counter } from 'k6/metrics';
import {
  adminLogin,
  baseOf,
  createDrop,
  latency,
  loadUsers,
  reserve,
  SLO,
  seats,
  summarize,
} from './lib.js';

const CLIENTS = Number(__ENV.CLIENTS || 500);
const POLL_SECONDS = Number(__ENV.POLL_SECONDS || 1);
const RATE = Number(__ENV.RATE || 50);
const CAPACITY = Number(__ENV.CAPACITY || 100000);
const DURATION = __ENV.DURATION || '45s';
const BUY_FOR = __ENV.BUY_FOR || '15s';
const users = loadUsers();

const notModified = new Counter('availability_not_modified');
const fresh = new Counter('availability_fresh');

export const options = {
  scenarios: {
    pollers: {
      executor: 'constant-vus',
      vus: CLIENTS,
      duration: DURATION,
      exec: 'poll',
    },
    buyers: {
      executor: 'constant-arrival-rate',
      rate: RATE,
      timeUnit: '1s',
      duration: BUY_FOR,
      preAllocatedVUs: 20,
      maxVUs: 200,
      exec: 'buy',
    },
  },
  thresholds: {
    ...SLO,
    'http_req_duration{name:availability}': ['p(95)<50', 'p(99)<100'],
  },
  summaryTrendStats: ['avg', 'med', 'p(95)', 'p(99)', 'max'],
};

export function setup() {
  return createDrop(adminLogin(), {
    name: `k6 availability ${Date.now()}`,
    capacity: CAPACITY,
    holdTtlSeconds: 600,
    perUserLimit: 1000,
  });
}

// Each poller's last ETag (module state is per VU in k6).
let etag = null;

export function poll({ eventId }) {
  // Phones do not poll in lockstep: the first poll lands anywhere in the first interval.
  if (etag === null && exec.vu.iterationInScenario === 0) sleep(Math.random() * POLL_SECONDS);
  const res = http.get(`${baseOf(exec.vu.idInTest)}/v1/events/${eventId}/availability`, {
    headers: etag ? { 'If-None-Match': etag } : {},
    tags: { name: 'availability' },
  });
  const ok = check(res, {
    'availability: 200 with an ETag, or 304 to the ETag sent': (r) =>
      (r.status === 200 && !!r.headers.Etag && r.json('categories').length === 1) ||
      (r.status === 304 && etag !== null),
  });
  if (res.status === 200) {
    fresh.add(1);
    etag = res.headers.Etag;
  } else if (res.status === 304) notModified.add(1);
  if (!ok) etag = null;
  sleep(POLL_SECONDS);
}

export function buy({ eventId, categoryId }) {
  const user = users[exec.scenario.iterationInTest % users.length];
  const res = reserve(baseOf(exec.vu.idInTest), user, { eventId, categoryId });
  check(res, { 'reserve: held': (r) => r.status === 201 });
  if (res.status === 201) seats.held.add(1);
}

export function handleSummary(data) {
  return summarize(data, 'availability', (count) => {
    const polls = count('availability_fresh') + count('availability_not_modified');
    return {
      capacity: CAPACITY,
      clients: CLIENTS,
      pollRps: polls / (data.state.testRunDurationMs / 1000),
      notModifiedShare: polls ? count('availability_not_modified') / polls : 0,
      availabilityMs: latency(data, 'availability'),
      reserveMs: latency(data, 'reserve'),
    };
  });
}
