// A seated drop (SPEC §8): a map of SECTIONS sections of ROWS rows of ROW_SEATS seats
// (4 × 50 × 100 = 20,000), no lone empty seat allowed, on sale at once. Fans arrive at a
// rate that ramps up to RATE per second (ramping-arrival-rate: arrivals do not wait for
// answers, as phones do not), each wanting 1 to 6 seats together. Most let the engine pick
// the best adjacent ones; EXACT_SHARE of them first read the seat status (sending back the
// ETag their browser last saw) and ask for exact seats they saw free, and take the best
// available instead when someone was quicker. Whoever gets seats pays at once
// (CONFIRM_SHARE of them). The map sells out partway, so the run sees the rush for seats
// and the sold-out tail.
//
//   npm run perf:seated                 (= bash perf/load.sh seated-drop: users, engine,
//                                        the run, then the stock and every seat checked)
//   RATE=100 RAMP=5s HOLD=10s npm run perf:seated                        (a small one)
//
// SLOs as in the drop surge, for exact and best-available reserves alike: reserve p95 <
// 50 ms and p99 < 100 ms, answers other than 2xx, 304, 409 and 429 under 0.1 %, checks
// over 99 %, no unexpected answer; the seat status as availability: p95 < 50 ms, p99 <
// 100 ms.
import { check } from 'k6';
import exec from 'k6/execution';
import http from 'k6/http';
import { Counter, Trend } from 'k6/metrics';
import {
  adminLogin,
  BASE,
  baseOf,
  confirm,
  createDrop,
  json,
  latency,
  loadUsers,
  SLO,
  seats,
  summarize,
  surgeScenario,
} from './lib.js';

const RATE = Number(__ENV.RATE || 1200);
const SECTIONS = Number(__ENV.SECTIONS || 4);
const ROWS = Number(__ENV.ROWS || 50);
const ROW_SEATS = Number(__ENV.ROW_SEATS || 100);
const CAPACITY = SECTIONS * ROWS * ROW_SEATS;
const EXACT_SHARE = Number(__ENV.EXACT_SHARE || 0.2);
const CONFIRM_SHARE = Number(__ENV.CONFIRM_SHARE || 0.9);
/** How many seats a fan wants together, drawn evenly: pairs and fours come most often. */
const PARTY_SIZES = [1, 2, 2, 2, 3, 4, 4, 4, 5, 6];
/** What a seated drop may answer besides a hold (SPEC §8, §2). */
const REFUSALS = [
  'seats_unavailable',
  'single_seat_gap',
  'no_adjacent_seats',
  'sold_out',
  'limit_exceeded',
  'rate_limited',
];
const users = loadUsers();

const reserves = new Counter('drop_reserves');
const unexpected = new Counter('drop_unexpected');
const refusals = Object.fromEntries(
  REFUSALS.map((code) => [code, new Counter(`seated_refused_${code}`)]),
);
const holds = { best: new Counter('seated_holds_best'), exact: new Counter('seated_holds_exact') };
const reserveMs = {
  best: new Trend('seated_reserve_best_ms', true),
  exact: new Trend('seated_reserve_exact_ms', true),
};
const fallbacks = new Counter('seated_exact_fallbacks');
const statusReads = {
  fresh: new Counter('seated_status_200'),
  same: new Counter('seated_status_304'),
};

export const options = {
  scenarios: {
    surge: surgeScenario(RATE),
  },
  thresholds: {
    ...SLO,
    // The seat status is a seated drop's availability: the same SLO as that one's.
    'http_req_duration{name:seats}': ['p(95)<50', 'p(99)<100'],
    drop_unexpected: ['count==0'],
  },
  summaryTrendStats: ['avg', 'med', 'p(95)', 'p(99)', 'max'],
};

const sectionName = (s) => `S${s + 1}`;

export function setup() {
  const seatMap = {
    sections: Array.from({ length: SECTIONS }, (_, s) => ({
      name: sectionName(s),
      rows: Array.from({ length: ROWS }, (_, r) => ({ name: String(r + 1), seats: ROW_SEATS })),
    })),
  };
  const drop = createDrop(adminLogin(), {
    name: `k6 seated ${Date.now()}`,
    seatMap,
    noSingleSeatGaps: true,
    // Long enough that no hold ends during the run, unless HOLD_TTL says otherwise.
    holdTtlSeconds: Number(__ENV.HOLD_TTL || 600),
    perUserLimit: 10,
  });
  // Fans name seats by the map's ids; the seat status gives rows in the map's order, so
  // a free seat's id is its section, its row and its place in the row (labels 1..N).
  const map = http.get(`${BASE}/v1/events/${drop.eventId}/categories/${drop.categoryId}/seat-map`);
  const last = `${sectionName(SECTIONS - 1)}-${ROWS}-${ROW_SEATS}`;
  if (
    map.status !== 200 ||
    map.json('capacity') !== CAPACITY ||
    map.json('sections.0.rows.0.seats.0.id') !== `${sectionName(0)}-1-1` ||
    map.json(`sections.${SECTIONS - 1}.rows.${ROWS - 1}.seats.${ROW_SEATS - 1}.id`) !== last
  )
    throw new Error(`the seat map is not the one made: ${map.status} ${map.body.slice(0, 200)}`);
  return drop;
}

/** The seat status this fan's browser last saw: sent back as If-None-Match. */
let seen;

function seatStatus(base, { eventId, categoryId }) {
  const res = http.get(`${base}/v1/events/${eventId}/categories/${categoryId}/seats`, {
    headers: seen ? { 'If-None-Match': seen.etag } : {},
    tags: { name: 'seats' },
  });
  const ok = check(res, {
    'seats: 200, or 304 for the ETag sent': (r) =>
      r.status === 200 || (r.status === 304 && seen !== undefined),
  });
  if (!ok) {
    unexpected.add(1, { status: String(res.status) });
    return undefined;
  }
  if (res.status === 200) {
    seen = { etag: res.headers.Etag, rows: rowsOf(res.body) };
    statusReads.fresh.add(1);
  } else statusReads.same.add(1);
  return seen.rows;
}

/** A section's name, or a row's name and status, in the status document's JSON. */
const SECTION_OR_ROW = /"name":"([^"]*)","rows":|"name":"([^"]*)","status":"([a-z]*)"/g;

/**
 * The status document's rows that have a free seat, in map order, each with its seat ids'
 * prefix: read once per version seen, from the body's text. k6's JavaScript is slow:
 * `res.json()` of a stadium's document, and scanning every row on each choice, cost the
 * generator more than its requests and showed in every latency it measured.
 */
function rowsOf(body) {
  const rows = [];
  let section = '';
  SECTION_OR_ROW.lastIndex = 0;
  for (let m = SECTION_OR_ROW.exec(body); m; m = SECTION_OR_ROW.exec(body)) {
    if (m[1] !== undefined) section = m[1];
    else if (m[3].includes('a')) rows.push({ prefix: `${section}-${m[2]}-`, status: m[3] });
  }
  return rows;
}

/**
 * `quantity` seats together that the status shows free and that leave no lone seat: the
 * start of a free run exactly that long or longer by two at least. Fans who choose look
 * at the front first.
 */
function chooseSeats(rows, quantity) {
  const first = Math.floor(rows.length * Math.random() ** 2);
  for (let i = 0; i < rows.length; i++) {
    const row = rows[(first + i) % rows.length];
    const free = /a+/g;
    for (let run = free.exec(row.status); run; run = free.exec(row.status)) {
      const length = run[0].length;
      if (length !== quantity && length < quantity + 2) continue;
      return Array.from({ length: quantity }, (_, k) => `${row.prefix}${run.index + k + 1}`);
    }
  }
  return undefined;
}

/** One seated reserve, tagged `reserve` for the SLO: its answer's code and the response. */
function reserveSeats(base, user, { eventId, categoryId }, choice, pick) {
  const res = http.post(
    `${base}/v1/reservations`,
    JSON.stringify({ eventId, categoryId, ...choice }),
    { ...json(user.accessToken), tags: { name: 'reserve' } },
  );
  reserves.add(1);
  reserveMs[pick].add(res.timings.duration);
  const code = res.status === 201 ? 'held' : res.status === 429 ? 'rate_limited' : res.json('code');
  const expected = code === 'held' || REFUSALS.includes(code);
  check(res, { 'reserve: seats held or an expected refusal': () => expected });
  if (!expected) unexpected.add(1, { status: String(res.status) });
  else if (code !== 'held') refusals[code].add(1);
  return { code, res };
}

export default function (drop) {
  // Many distinct users: each arrival is the next user, round the list.
  const user = users[exec.scenario.iterationInTest % users.length];
  const base = baseOf(exec.vu.idInTest);
  const quantity = PARTY_SIZES[Math.floor(Math.random() * PARTY_SIZES.length)];
  let pick = 'best';
  let answer;
  if (Math.random() < EXACT_SHARE) {
    const rows = seatStatus(base, drop);
    const chosen = rows && chooseSeats(rows, quantity);
    if (chosen) {
      pick = 'exact';
      answer = reserveSeats(base, user, drop, { seats: chosen }, pick);
      if (answer.code === 'seats_unavailable' || answer.code === 'single_seat_gap') {
        fallbacks.add(1);
        pick = 'best';
        answer = undefined;
      }
    }
  }
  if (!answer) answer = reserveSeats(base, user, drop, { quantity, adjacent: true }, pick);
  if (answer.code !== 'held') return;
  const hold = answer.res.json();
  check(hold, { 'reserve: the seats asked for': (h) => h.seats?.length === quantity });
  holds[pick].add(1);
  seats.held.add(hold.quantity);
  if (Math.random() >= CONFIRM_SHARE) return;
  const paid = confirm(base, user, hold.id);
  check(paid, {
    'confirm: 200 confirmed': (r) => r.status === 200 && r.json('status') === 'confirmed',
  });
  if (paid.status === 200) seats.confirmed.add(hold.quantity);
}

/** med / p95 / p99 / max of a Trend, in ms. */
function trend(data, name) {
  const v = data.metrics[name]?.values ?? {};
  return { med: v.med, p95: v['p(95)'], p99: v['p(99)'], max: v.max };
}

export function handleSummary(data) {
  return summarize(data, 'seated-drop', (count) => {
    const held = count('seated_holds_best') + count('seated_holds_exact');
    return {
      capacity: CAPACITY,
      map: { sections: SECTIONS, rows: ROWS, rowSeats: ROW_SEATS, noSingleSeatGaps: true },
      peakRate: RATE,
      exactShare: EXACT_SHARE,
      reserveRequests: count('drop_reserves'),
      reserveRps: count('drop_reserves') / (data.state.testRunDurationMs / 1000),
      holds: { best: count('seated_holds_best'), exact: count('seated_holds_exact') },
      seatsPerHold: held ? count('drop_seats_held') / held : 0,
      exactFallbacks: count('seated_exact_fallbacks'),
      refusals: Object.fromEntries(REFUSALS.map((c) => [c, count(`seated_refused_${c}`)])),
      unexpected: count('drop_unexpected'),
      droppedIterations: count('dropped_iterations'),
      seatStatusReads: {
        fresh: count('seated_status_200'),
        notModified: count('seated_status_304'),
      },
      reserveMs: latency(data, 'reserve'),
      bestReserveMs: trend(data, 'seated_reserve_best_ms'),
      exactReserveMs: trend(data, 'seated_reserve_exact_ms'),
      seatStatusMs: latency(data, 'seats'),
    };
  });
}
