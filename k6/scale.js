// Several drops at once (perf:scale): EVENTS events go on sale together and reserve
// requests arrive at RATE per second in all (constant-arrival-rate, arrivals spread evenly
// over the events, each from the next user), QUANTITY 1, for DURATION. Each event's keys
// hash to its own slot, so on a Redis Cluster the drops run on different shards.
//
//   npm run perf:scale          (the cluster stack, 2 api, 2 reapers, 2 workers, 3 events)
//
// Thresholds: reserve p95 < 50 ms and p99 < 100 ms; no answer but 201 or 409.
import { check } from 'k6';
import exec from 'k6/execution';
import { Counter } from 'k6/metrics';
import {
  adminLogin,
  BASES,
  baseOf,
  createDrop,
  latency,
  loadUsers,
  reserve,
  SLO,
  summaryOutput,
} from './lib.js';

const EVENTS = Number(__ENV.EVENTS || 3);
const RATE = Number(__ENV.RATE || 1500);
const CAPACITY = Number(__ENV.CAPACITY || 1_000_000);
const users = loadUsers();
const held = new Counter('scale_seats_held');
const unexpected = new Counter('scale_unexpected');

const perEvent = {};
for (let i = 0; i < EVENTS; i++) perEvent[`scale_seats_held{event:${i}}`] = ['count>=0'];

export const options = {
  scenarios: {
    drops: {
      executor: 'constant-arrival-rate',
      rate: RATE,
      timeUnit: '1s',
      duration: __ENV.DURATION || '30s',
      preAllocatedVUs: Number(__ENV.VUS || 200),
      maxVUs: Number(__ENV.MAX_VUS || 1000),
    },
  },
  thresholds: { ...SLO, ...perEvent, scale_unexpected: ['count==0'] },
  summaryTrendStats: ['avg', 'med', 'p(95)', 'p(99)', 'max'],
};

export function setup() {
  const admin = adminLogin();
  return Array.from({ length: EVENTS }, (_, i) =>
    createDrop(admin, {
      name: `k6 scale ${i} ${Date.now()}`,
      capacity: CAPACITY,
      holdTtlSeconds: 600,
      perUserLimit: 1000,
    }),
  );
}

export default function (drops) {
  const i = exec.scenario.iterationInTest;
  const event = i % drops.length;
  const user = users[Math.floor(i / drops.length) % users.length];
  const res = reserve(baseOf(exec.vu.idInTest), user, drops[event]);
  const ok = res.status === 201;
  check(res, { 'reserve: held': () => ok });
  if (ok) held.add(1, { event: String(event) });
  else if (res.status !== 409) unexpected.add(1, { status: String(res.status) });
}

export function handleSummary(data) {
  const drops = (data.setup_data ?? []).map((d, i) => ({
    ...d,
    capacity: CAPACITY,
    seatsHeld: data.metrics[`scale_seats_held{event:${i}}`]?.values.count ?? 0,
    seatsConfirmed: 0,
  }));
  const summary = {
    scenario: 'scale',
    events: EVENTS,
    apiProcesses: BASES.length,
    seconds: data.state.testRunDurationMs / 1000,
    reservesPerSecond:
      (data.metrics.scale_seats_held?.values.count ?? 0) / (data.state.testRunDurationMs / 1000),
    httpRps: data.metrics.http_reqs.values.rate,
    reserve: latency(data, 'reserve'),
    unexpected: data.metrics.scale_unexpected?.values.count ?? 0,
    drops,
  };
  return summaryOutput('scale', summary);
}
