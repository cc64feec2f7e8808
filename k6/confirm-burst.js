// The pipeline's end-to-end lag: holds confirmed over HTTP, then (in pipeline-lag.sh) how
// long after each api 200 its row reached Postgres. Two events: `idle` confirms 20, one at
// a time (the baseline), then `burst` confirms BURST (5,000) as fast as 100 VUs go.
//
//   npm run perf:pipeline
import { check, sleep } from 'k6';
import exec from 'k6/execution';
import { Counter } from 'k6/metrics';
import { adminLogin, BASE, confirm, createDrop, loadUsers, reserve, summaryOutput } from './lib.js';

const BURST = Number(__ENV.BURST || 5000);
const users = loadUsers('../.stack/lag-users.json');
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

export function setup() {
  const admin = adminLogin();
  return {
    idle: createDrop(admin, { name: `lag idle ${Date.now()}`, capacity: 20 }),
    burst: createDrop(admin, { name: `lag burst ${Date.now()}`, capacity: BURST }),
  };
}

function confirmOne(drop, user) {
  const held = reserve(BASE, user, drop);
  if (held.status !== 201) {
    failures.add(1);
    return;
  }
  const confirmed = confirm(BASE, user, held.json('id'));
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
  return summaryOutput('lag', out, 'pipeline lag');
}
