// The soak: a steady RATE (150) of fans a second for DURATION (10m), each through a whole
// hold's life: reserve, then pay (half of them), let go of it (a fifth: DELETE) or walk
// away (the rest: the reaper expires the hold after HOLD_TTL, 10 s, and resells its stock).
// Every path of the engine runs for a long time; what to watch is that latency and the
// api's memory stay flat (load.sh prints its RSS before and after) and that no seat is lost.
//
//   npm run perf:soak                      DURATION=1m npm run perf:soak  (a short one)
//
// SLOs as in the drop: reserve p95 < 50 ms, p99 < 100 ms, failures under 0.1 %, checks over 99 %.
import { check } from 'k6';
import exec from 'k6/execution';
import http from 'k6/http';
import { Counter } from 'k6/metrics';
import {
  adminLogin,
  baseOf,
  confirm,
  createDrop,
  json,
  latency,
  loadUsers,
  reserve,
  SLO,
  seats,
  summarize,
} from './lib.js';

const RATE = Number(__ENV.RATE || 150);
const DURATION = __ENV.DURATION || '10m';
const HOLD_TTL = Number(__ENV.HOLD_TTL || 10);
const CAPACITY = Number(__ENV.CAPACITY || 1000000);
const users = loadUsers();

const seatsReleased = new Counter('drop_seats_released');

export const options = {
  scenarios: {
    fans: {
      executor: 'constant-arrival-rate',
      rate: RATE,
      timeUnit: '1s',
      duration: DURATION,
      preAllocatedVUs: 50,
      maxVUs: 500,
    },
  },
  thresholds: {
    ...SLO,
    'http_req_duration{name:confirm}': ['p(99)<100'],
    'http_req_duration{name:release}': ['p(99)<100'],
  },
  summaryTrendStats: ['avg', 'med', 'p(95)', 'p(99)', 'max'],
};

export function setup() {
  return createDrop(adminLogin(), {
    name: `k6 soak ${Date.now()}`,
    capacity: CAPACITY,
    holdTtlSeconds: HOLD_TTL,
    perUserLimit: 1000,
  });
}

export default function ({ eventId, categoryId }) {
  const user = users[exec.scenario.iterationInTest % users.length];
  const base = baseOf(exec.vu.idInTest);
  const auth = json(user.accessToken);
  const res = reserve(base, user, { eventId, categoryId });
  if (!check(res, { 'reserve: held': (r) => r.status === 201 })) return;
  seats.held.add(1);
  const id = res.json('id');
  const fate = Math.random();
  if (fate < 0.5) {
    const paid = confirm(base, user, id);
    if (check(paid, { 'confirm: 200': (r) => r.status === 200 })) seats.confirmed.add(1);
  } else if (fate < 0.7) {
    const gone = http.del(`${base}/v1/reservations/${id}`, null, {
      ...auth,
      tags: { name: 'release' },
    });
    if (
      check(gone, {
        'release: 200 released': (r) => r.status === 200 && r.json('status') === 'released',
      })
    )
      seatsReleased.add(1);
  }
}

export function handleSummary(data) {
  return summarize(data, 'soak', (count) => ({
    capacity: CAPACITY,
    holdTtlSeconds: HOLD_TTL,
    seatsReleased: count('drop_seats_released'),
    reserveMs: latency(data, 'reserve'),
    confirmMs: latency(data, 'confirm'),
    releaseMs: latency(data, 'release'),
  }));
}
