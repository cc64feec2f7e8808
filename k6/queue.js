// A drop behind a waiting room (SPEC §7): FANS fans join the pre-queue before the open;
// then k6 polls their tickets on their behalf at the rate their Retry-After implies (one
// arrival-rate scenario for all of them, each fan polled in turn, not one VU per fan), and
// each admitted fan reserves once with the pass. A few cheaters reserve without a pass and
// must get 403. The stock is checked afterwards (perf/check-drop.ts), and the api's
// queue_passes_used_total must equal the holds made (perf/load.sh).
//
//   npm run perf:queue        (USERS=FANS=20000, ADMIT=400/s, CAPACITY=4000)
//
// Thresholds: queue/me p99 ≤ 50 ms, reserve p99 < 100 ms, no unexpected answer.
import { check } from 'k6';
import exec from 'k6/execution';
import http from 'k6/http';
import { Counter } from 'k6/metrics';
import { adminLogin, BASE, baseOf, json, latency, loadUsers, seats, summarize } from './lib.js';

const FANS = Number(__ENV.FANS || 20000);
const ADMIT = Number(__ENV.ADMIT || 400);
const CAPACITY = Number(__ENV.CAPACITY || 4000);
const MAX_POLL_RATE = Number(__ENV.MAX_POLL_RATE || 3000);
const users = loadUsers().slice(0, FANS);
if (users.length < FANS)
  throw new Error(`need ${FANS} users, have ${users.length} (USERS=${FANS})`);

// What the fans' Retry-After asks for at the open (api/routes/queue.ts: half the wait, 2 to
// 30 s): Σ 1/RetryAfter over the queue, polls per second.
let implied = 0;
for (let position = 1; position <= FANS; position++)
  implied += 1 / Math.min(30, Math.max(2, Math.ceil(Math.ceil(position / ADMIT) / 2)));
const POLL_RATE = Math.min(MAX_POLL_RATE, Math.round(implied));

const unexpected = new Counter('queue_unexpected');
const polls = new Counter('queue_polls');
const cheaters = new Counter('queue_cheaters_refused');
const passesSeen = new Counter('queue_admitted_seen');

export const options = {
  setupTimeout: '600s',
  scenarios: {
    fans: {
      executor: 'constant-arrival-rate',
      rate: POLL_RATE,
      timeUnit: '1s',
      duration: __ENV.DURATION || '45s',
      preAllocatedVUs: Number(__ENV.VUS || 200),
      maxVUs: Number(__ENV.MAX_VUS || 1000),
    },
  },
  thresholds: {
    'http_req_duration{name:queue_me}': ['p(99)<=50'],
    'http_req_duration{name:reserve}': ['p(99)<100'],
    http_req_failed: ['rate<0.001'],
    queue_unexpected: ['count==0'],
  },
  summaryTrendStats: ['avg', 'med', 'p(95)', 'p(99)', 'max'],
};

export function setup() {
  const admin = adminLogin();
  const event = http.post(
    `${BASE}/v1/admin/events`,
    JSON.stringify({
      name: `k6 queue ${Date.now()}`,
      venue: 'Load Hall',
      startsAt: new Date(Date.now() + 86_400_000).toISOString(),
      holdTtlSeconds: 600,
      waitingRoom: { enabled: true, admitPerSecond: ADMIT },
    }),
    json(admin),
  );
  if (event.status !== 201) throw new Error(`create event: ${event.status} ${event.body}`);
  const eventId = event.json('id');
  const category = http.post(
    `${BASE}/v1/admin/events/${eventId}/categories`,
    JSON.stringify({ name: 'GA', priceCents: 5000, capacity: CAPACITY }),
    json(admin),
  );
  if (category.status !== 201) throw new Error(`create category: ${category.status}`);
  // Everyone joins the pre-queue before the open.
  const started = Date.now();
  for (let i = 0; i < users.length; i += 200) {
    const batch = users.slice(i, i + 200).map((u) => ({
      method: 'POST',
      url: `${BASE}/v1/events/${eventId}/queue`,
      params: { ...json(u.accessToken), tags: { name: 'queue_join' } },
    }));
    for (const res of http.batch(batch))
      if (res.status !== 201) throw new Error(`join: ${res.status} ${res.body}`);
  }
  const joinSeconds = (Date.now() - started) / 1000;
  const open = http.patch(
    `${BASE}/v1/admin/events/${eventId}`,
    JSON.stringify({ status: 'on_sale' }),
    json(admin),
  );
  if (open.status !== 200) throw new Error(`open: ${open.status} ${open.body}`);
  return { eventId, categoryId: category.json('id'), joinSeconds };
}

const reserved = new Set();
/** Each fan's last queue ticket, as their app keeps it (per VU). */
const tickets = {};

export default function ({ eventId, categoryId }) {
  const i = exec.scenario.iterationInTest;
  const user = users[i % users.length];
  const base = baseOf(exec.vu.idInTest);
  if (i % 200 === 199) {
    // A cheater: no pass.
    const res = http.post(
      `${base}/v1/reservations`,
      JSON.stringify({ eventId, categoryId, quantity: 1 }),
      {
        ...json(user.accessToken),
        tags: { name: 'reserve_without_pass' },
        responseCallback: http.expectedStatuses(403),
      },
    );
    const ok = res.status === 403 && res.json('code') === 'queue_pass_required';
    check(res, { 'no pass: 403 queue_pass_required': () => ok });
    if (ok) cheaters.add(1);
    else unexpected.add(1, { status: String(res.status) });
    return;
  }
  // A fan sends back the ticket of their last answer: the poll is answered from memory.
  const known = tickets[user.userId];
  const res = http.get(`${base}/v1/events/${eventId}/queue/me`, {
    headers: {
      ...json(user.accessToken).headers,
      ...(known ? { 'Queue-Ticket': known } : {}),
    },
    tags: { name: 'queue_me' },
  });
  polls.add(1);
  if (res.status !== 200) {
    unexpected.add(1, { status: String(res.status) });
    return;
  }
  const ticket = res.json();
  tickets[user.userId] = ticket.ticket;
  if (ticket.status !== 'admitted' || reserved.has(user.userId)) return;
  passesSeen.add(1);
  // Once per fan; the Idempotency-Key makes a second try from another VU a replay.
  const hold = http.post(
    `${base}/v1/reservations`,
    JSON.stringify({ eventId, categoryId, quantity: 1 }),
    {
      headers: {
        ...json(user.accessToken).headers,
        'Queue-Pass': ticket.pass,
        'Idempotency-Key': `queue-${eventId}-${user.userId}`,
      },
      tags: { name: 'reserve' },
    },
  );
  reserved.add(user.userId);
  if (hold.status === 201) {
    if (!hold.headers['Idempotent-Replayed']) seats.held.add(1);
  } else if (!(hold.status === 409 && hold.json('code') === 'sold_out')) {
    unexpected.add(1, { status: String(hold.status) });
  }
}

export function handleSummary(data) {
  return summarize(data, 'queue', (count) => ({
    capacity: CAPACITY,
    fans: FANS,
    admitPerSecond: ADMIT,
    joinSeconds: data.setup_data?.joinSeconds,
    pollRate: POLL_RATE,
    pollRateImplied: Math.round(implied),
    polls: count('queue_polls'),
    admittedSeen: count('queue_admitted_seen'),
    cheatersRefused: count('queue_cheaters_refused'),
    unexpected: count('queue_unexpected'),
    queueMe: latency(data, 'queue_me'),
    join: latency(data, 'queue_join'),
    reserve: latency(data, 'reserve'),
  }));
}
