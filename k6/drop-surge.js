// The drop surge: reserve requests from many distinct users arrive at a rate that ramps up
// to RATE per second (ramping-arrival-rate: arrivals do not wait for answers, as phones do
// not), and whoever gets a hold pays for it at once (CONFIRM_SHARE of them; the rest walk
// away and their holds expire). CAPACITY is sold out partway, so the run sees both the rush
// for stock and the sold-out tail.
//
//   npm run perf:drop                      (prepares users, runs, checks the stock), or
//   API_PROCESSES=2 REAPERS=2 npm run perf:drop      (the scale-out run)
//
// SLOs as thresholds: reserve p95 < 50 ms and p99 < 100 ms, answers other than 2xx, 409
// and 429 under 0.1 %, checks over 99 %.
import { check } from 'k6';
import exec from 'k6/execution';
import { Counter } from 'k6/metrics';
import {
  adminLogin,
  baseOf,
  confirm,
  createDrop,
  latency,
  loadUsers,
  reserve,
  SLO,
  seats,
  summarize,
  surgeScenario,
} from './lib.js';

const RATE = Number(__ENV.RATE || 1200);
const CAPACITY = Number(__ENV.CAPACITY || 20000);
const CONFIRM_SHARE = Number(__ENV.CONFIRM_SHARE || 0.9);
const users = loadUsers();

const refusals = new Counter('drop_refusals');
const unexpected = new Counter('drop_unexpected');
const reserves = new Counter('drop_reserves');

export const options = {
  scenarios: {
    surge: surgeScenario(RATE),
  },
  thresholds: { ...SLO, drop_unexpected: ['count==0'] },
  summaryTrendStats: ['avg', 'med', 'p(95)', 'p(99)', 'max'],
};

export function setup() {
  return createDrop(adminLogin(), {
    name: `k6 surge ${Date.now()}`,
    capacity: CAPACITY,
    // Long enough that no hold ends during the run, unless HOLD_TTL says otherwise.
    holdTtlSeconds: Number(__ENV.HOLD_TTL || 600),
    perUserLimit: 10,
  });
}

export default function ({ eventId, categoryId }) {
  // Many distinct users: each arrival is the next user, round the list.
  const user = users[exec.scenario.iterationInTest % users.length];
  const base = baseOf(exec.vu.idInTest);
  const res = reserve(base, user, { eventId, categoryId });
  reserves.add(1);
  const code = res.status === 201 ? 'held' : res.status === 429 ? 'rate_limited' : res.json('code');
  const expected = ['held', 'sold_out', 'limit_exceeded', 'rate_limited'].includes(code);
  check(res, { 'reserve: held or an expected refusal': () => expected });
  if (!expected) unexpected.add(1, { status: String(res.status) });
  if (code !== 'held') {
    refusals.add(1, { code });
    return;
  }
  seats.held.add(1);
  if (Math.random() >= CONFIRM_SHARE) return;
  const paid = confirm(base, user, res.json('id'));
  check(paid, {
    'confirm: 200 confirmed': (r) => r.status === 200 && r.json('status') === 'confirmed',
  });
  if (paid.status === 200) seats.confirmed.add(1);
}

export function handleSummary(data) {
  return summarize(data, 'drop-surge', (count) => ({
    capacity: CAPACITY,
    peakRate: RATE,
    reserveRequests: count('drop_reserves'),
    reserveRps: count('drop_reserves') / (data.state.testRunDurationMs / 1000),
    refusals: count('drop_refusals'),
    unexpected: count('drop_unexpected'),
    droppedIterations: count('dropped_iterations'),
    reserveMs: latency(data, 'reserve'),
    confirmMs: latency(data, 'confirm'),
  }));
}
