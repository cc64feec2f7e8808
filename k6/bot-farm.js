// A bot farm against a presale drop behind a waiting room (SPEC §9): BOTS scripted accounts
// without presale codes or honest solutions hammer the join (BOT_ATTEMPTS tries each, in
// the ways a farm would: no headers, guessed codes, forged solutions, and one captured
// solution replayed by all), while FANS fans, each with a code of their own, fetch a
// challenge, solve it (SHA-256 in k6, as ALTCHA's widget does in a browser) and join. Every
// bot must be refused (403, a drop-access code), every fan must get a place, and the
// admin's counts must say FANS codes used.
//
//   USERS=2500 bash perf/load.sh bot-farm          (the engine started for the run)
//   k6 run -e USERS_FILE=.stack/load-users.json k6/bot-farm.js   (against a running one)
//
// Knobs: FANS (500), BOTS (2000), BOT_ATTEMPTS (3), BOT_RATE (1000 attempts/s), FAN_RATE
// (100 fans/s), DIFFICULTY (the challenge's maxnumber, 1000: k6 hashes in JavaScript; a
// browser's widget takes 100,000 in about a second).
import crypto from 'k6/crypto';
import encoding from 'k6/encoding';
import exec from 'k6/execution';
import http from 'k6/http';
import { Counter } from 'k6/metrics';
import { adminLogin, BASE, baseOf, json, latency, loadUsers, summaryOutput } from './lib.js';

const FANS = Number(__ENV.FANS || 500);
const BOTS = Number(__ENV.BOTS || 2000);
const BOT_ATTEMPTS = Number(__ENV.BOT_ATTEMPTS || 3);
const DIFFICULTY = Number(__ENV.DIFFICULTY || 1000);
/** attempts a second: the farm's, and the fans' arrivals */
const BOT_RATE = Number(__ENV.BOT_RATE || 1000);
const FAN_RATE = Number(__ENV.FAN_RATE || 100);
const users = loadUsers();
if (users.length < FANS + BOTS)
  throw new Error(`need ${FANS + BOTS} users, have ${users.length} (USERS=${FANS + BOTS})`);
const fans = users.slice(0, FANS);
const bots = users.slice(FANS, FANS + BOTS);

const fansPlaced = new Counter('fans_placed');
const fansRefused = new Counter('fans_refused');
const botsRefused = new Counter('bots_refused');
const botsAdmitted = new Counter('bots_admitted');
const unexpected = new Counter('bot_farm_unexpected');

/** What a drop-access refusal may say to a bot. */
const BOT_REFUSALS = [
  'challenge_required',
  'challenge_invalid',
  'access_code_required',
  'access_code_invalid',
  'access_code_used',
];

export const options = {
  setupTimeout: '300s',
  // Open arrivals, as a drop's traffic comes (the drop surge's model): the farm and the fans
  // arrive at rates of their own whatever the answers' latency. A closed loop of hundreds of
  // VUs with no pause would measure only how long the queue of its own requests is.
  scenarios: {
    bots: {
      executor: 'constant-arrival-rate',
      rate: BOT_RATE,
      timeUnit: '1s',
      duration: `${Math.ceil((BOTS * BOT_ATTEMPTS) / BOT_RATE)}s`,
      // Every VU made before the start: one made mid-run loads the users file first, and
      // the arrivals it was late for are dropped.
      preAllocatedVUs: Number(__ENV.BOT_VUS || 200),
      exec: 'bot',
    },
    fans: {
      executor: 'constant-arrival-rate',
      rate: FAN_RATE,
      timeUnit: '1s',
      duration: `${Math.ceil(FANS / FAN_RATE)}s`,
      preAllocatedVUs: Number(__ENV.FAN_VUS || 100),
      exec: 'fan',
    },
  },
  thresholds: {
    fans_placed: [`count==${FANS}`],
    fans_refused: ['count==0'],
    bots_refused: [`count==${BOTS * BOT_ATTEMPTS}`],
    bots_admitted: ['count==0'],
    bot_farm_unexpected: ['count==0'],
    'http_req_duration{name:queue_join}': ['p(99)<200'],
    'http_req_duration{name:challenge}': ['p(99)<100'],
  },
  summaryTrendStats: ['avg', 'med', 'p(95)', 'p(99)', 'max'],
};

/** ALTCHA v1 solved by brute force: the header value (Base64 JSON), as the widget sends it. */
function solve(challenge) {
  for (let n = 0; n <= challenge.maxnumber; n++) {
    if (crypto.sha256(`${challenge.salt}${n}`, 'hex') === challenge.challenge) {
      const { algorithm, salt, signature } = challenge;
      return encoding.b64encode(
        JSON.stringify({ algorithm, challenge: challenge.challenge, number: n, salt, signature }),
      );
    }
  }
  throw new Error('challenge not solved');
}

function fetchChallenge(base, eventId) {
  const res = http.get(`${base}/v1/events/${eventId}/challenge`, { tags: { name: 'challenge' } });
  if (res.status !== 200) throw new Error(`challenge: ${res.status} ${res.body}`);
  return res.json();
}

function join(base, eventId, user, headers) {
  return http.post(`${base}/v1/events/${eventId}/queue`, null, {
    headers: { Authorization: `Bearer ${user.accessToken}`, ...headers },
    tags: { name: 'queue_join' },
    responseCallback: http.expectedStatuses(200, 201, 403),
  });
}

export function setup() {
  const admin = adminLogin();
  const event = http.post(
    `${BASE}/v1/admin/events`,
    JSON.stringify({
      name: `k6 bot farm ${Date.now()}`,
      venue: 'Load Hall',
      startsAt: new Date(Date.now() + 86_400_000).toISOString(),
      waitingRoom: { enabled: true, admitPerSecond: 100 },
      presale: { enabled: true, endsAt: new Date(Date.now() + 3_600_000).toISOString() },
      botChallenge: { enabled: true, difficulty: DIFFICULTY },
    }),
    json(admin),
  );
  if (event.status !== 201) throw new Error(`create event: ${event.status} ${event.body}`);
  const eventId = event.json('id');
  const category = http.post(
    `${BASE}/v1/admin/events/${eventId}/categories`,
    JSON.stringify({ name: 'GA', priceCents: 5000, capacity: FANS }),
    json(admin),
  );
  if (category.status !== 201) throw new Error(`create category: ${category.status}`);
  const issued = http.post(
    `${BASE}/v1/admin/events/${eventId}/access-codes`,
    JSON.stringify({ count: FANS }),
    json(admin),
  );
  if (issued.status !== 201) throw new Error(`issue codes: ${issued.status} ${issued.body}`);
  // A solution the farm captured (say, from a fan's browser), replayed by every bot.
  const captured = solve(fetchChallenge(BASE, eventId));
  return { eventId, categoryId: category.json('id'), codes: issued.json('codes'), captured };
}

/** A made-up code in the codes' own shape (20 characters of Crockford base32). */
function guessedCode() {
  const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
  let code = '';
  for (let i = 0; i < 20; i++) code += alphabet[Math.floor(Math.random() * 32)];
  return code;
}

export function bot({ eventId, captured }) {
  const i = exec.scenario.iterationInTest;
  // The last second's arrivals may run past the attempts asked for.
  if (i >= BOTS * BOT_ATTEMPTS) return;
  const user = bots[i % BOTS];
  const base = baseOf(exec.vu.idInTest);
  const forged = encoding.b64encode(
    JSON.stringify({
      algorithm: 'SHA-256',
      challenge: crypto.sha256(`forged${i}`, 'hex'),
      number: i,
      salt: `forged?expires=${Math.floor(Date.now() / 1000) + 300}&`,
      signature: crypto.sha256(`signature${i}`, 'hex'),
    }),
  );
  const tries = [
    {},
    { 'Access-Code': guessedCode() },
    { 'Challenge-Solution': forged },
    { 'Challenge-Solution': captured },
    { 'Challenge-Solution': captured, 'Access-Code': guessedCode() },
  ];
  const res = join(base, eventId, user, tries[i % tries.length]);
  if (res.status === 403 && BOT_REFUSALS.includes(res.json('code'))) botsRefused.add(1);
  else if (res.status === 200 || res.status === 201) botsAdmitted.add(1);
  else unexpected.add(1);
}

export function fan({ eventId, codes }) {
  const i = exec.scenario.iterationInTest;
  if (i >= FANS) return;
  const base = baseOf(exec.vu.idInTest);
  const solution = solve(fetchChallenge(base, eventId));
  const res = join(base, eventId, fans[i], {
    'Access-Code': codes[i],
    'Challenge-Solution': solution,
  });
  if (res.status === 201) fansPlaced.add(1);
  else if (res.status === 403) fansRefused.add(1);
  else unexpected.add(1);
}

/** After the run: the room holds every fan and no bot, and FANS codes are bound. */
export function teardown({ eventId }) {
  const admin = adminLogin();
  const room = http.get(`${BASE}/v1/events/${eventId}/queue`).json();
  const codes = http.get(`${BASE}/v1/admin/events/${eventId}/access-codes`, json(admin)).json();
  if (room.waiting !== FANS) unexpected.add(1, { what: 'waiting' });
  if (codes.used !== FANS) unexpected.add(1, { what: 'codes_used' });
  console.log(`bot-farm: waiting ${room.waiting}, codes ${JSON.stringify(codes)}`);
}

export function handleSummary(data) {
  const count = (name) => data.metrics[name]?.values.count ?? 0;
  return summaryOutput('bot-farm', {
    scenario: 'bot-farm',
    eventId: data.setup_data?.eventId,
    categoryId: data.setup_data?.categoryId,
    seconds: data.state.testRunDurationMs / 1000,
    httpRps: data.metrics.http_reqs.values.rate,
    // Nobody reserves here: perf/check-drop.ts finds the stock untouched.
    capacity: FANS,
    seatsHeld: 0,
    seatsConfirmed: 0,
    fans: FANS,
    fansPlaced: count('fans_placed'),
    fansRefused: count('fans_refused'),
    botAttempts: BOTS * BOT_ATTEMPTS,
    botsRefused: count('bots_refused'),
    botsAdmitted: count('bots_admitted'),
    unexpected: count('bot_farm_unexpected'),
    difficulty: DIFFICULTY,
    join: latency(data, 'queue_join'),
    challenge: latency(data, 'challenge'),
  });
}
