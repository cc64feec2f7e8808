// A ticket drop under load: N users hammer POST /v1/reservations on one category.
//
//   npm run perf:sellout            (starts everything and checks the outcome), or by hand:
//   k6 run -e USERS_FILE=.stack/drop-users.json -e BASE_URL=http://127.0.0.1:8080 k6/drop.js
//
// setup() signs in as the admin and creates an on-sale event with CAPACITY seats and
// HOLD_TTL-second holds; each virtual user is one load-test user (npm run token --
// --create-users). Every answer must be 201 or a refusal the drop expects (sold_out,
// limit_exceeded): anything else counts as an error and fails the run.
import { check } from 'k6';
import { Counter } from 'k6/metrics';
import {
  adminLogin,
  BASE,
  createDrop,
  latency,
  loadUsers,
  reserve,
  seats,
  summaryOutput,
} from './lib.js';

const CAPACITY = Number(__ENV.CAPACITY || 1000);
const REQUESTS = Number(__ENV.REQUESTS || 20000);
const HOLD_TTL = Number(__ENV.HOLD_TTL || 60);
const users = loadUsers('../.stack/drop-users.json');

const soldOut = new Counter('drop_sold_out');
const limited = new Counter('drop_limit_exceeded');
const unexpected = new Counter('drop_unexpected');

export const options = {
  scenarios: {
    drop: {
      executor: 'shared-iterations',
      vus: users.length,
      iterations: REQUESTS,
      maxDuration: '5m',
    },
  },
  thresholds: {
    drop_unexpected: ['count==0'],
    'http_req_duration{name:reserve}': ['p(99)<1000'],
  },
  summaryTrendStats: ['avg', 'med', 'p(95)', 'p(99)', 'max'],
};

export function setup() {
  return createDrop(adminLogin(), {
    name: `k6 drop ${Date.now()}`,
    capacity: CAPACITY,
    holdTtlSeconds: HOLD_TTL,
  });
}

export default function ({ eventId, categoryId }) {
  const user = users[(__VU - 1) % users.length];
  const res = reserve(BASE, user, { eventId, categoryId });
  const code = res.status === 201 ? 'held' : res.json('code');
  if (code === 'held') seats.held.add(res.json('quantity'));
  else if (code === 'sold_out') soldOut.add(1);
  else if (code === 'limit_exceeded') limited.add(1);
  else unexpected.add(1);
  check(res, {
    'held or an expected refusal': () => ['held', 'sold_out', 'limit_exceeded'].includes(code),
  });
}

export function handleSummary(data) {
  const count = (name) => data.metrics[name]?.values.count ?? 0;
  const summary = {
    eventId: data.setup_data?.eventId,
    categoryId: data.setup_data?.categoryId,
    requests: count('http_reqs') - 3,
    seatsHeld: count('drop_seats_held'),
    soldOut: count('drop_sold_out'),
    limitExceeded: count('drop_limit_exceeded'),
    unexpected: count('drop_unexpected'),
    rps: data.metrics.http_reqs.values.rate,
    reserveMs: latency(data, 'reserve'),
  };
  return summaryOutput('drop', summary);
}
