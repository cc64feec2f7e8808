// What a fault run found, as figures: the scenario's report and the paused verifier's, the
// answers tallied, and both published (a JSON file under FAULTS_DIR/figures and a summary).
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AofCut } from '../helpers/redis-server.js';
import type { Answer } from './drop-client.js';
import { FAULTS_DIR, type FaultKind } from './setup.js';

interface CategoryFigures {
  id: string;
  capacity: number;
  postgresConfirmed: number;
  redisConfirmed: number | null;
  redisHeld: number | null;
  availableApi: number | null;
}

export interface ScenarioReport {
  scenario: FaultKind;
  users: number;
  capacity: number;
  surgeMsBeforeKill: number;
  atKill: {
    holdsAcknowledged: number;
    confirmationsAcknowledged: number;
    confirmedSeatsAcknowledged: number;
    /** Acknowledged confirmations that Postgres did not have when Redis died. */
    notInPostgres: number;
    cancellationsAcknowledged: number;
    /** Acknowledged cancellations that Postgres did not have as cancelled when Redis died. */
    cancellationsNotInPostgres: number;
  };
  aofCut?: Omit<AofCut, 'file'>;
  /** Read from Redis the moment it answered again, before any engine process reconnected. */
  afterRestart: {
    acknowledgedConfirmationsGoneFromRedis: number;
    acknowledgedHoldsGoneFromRedis: number;
  };
  redisDownMs: number;
  /** Redis answering again → the api's /readyz says redis ok. */
  apiReconnectedAfterMs: number | null;
  /** Redis answering again → the first reserve answered 201 (null: never within the bound). */
  fencedMs: number | null;
  /** Reserve/confirm/release/cancel answers sent after the kill, up to (and with) the first
   * 201, by route, status and code. */
  answersDuringOutageAndFence: Record<string, number>;
  /** Reserves answered 503 while the api already reached the restarted Redis. */
  fencedWhileRedisReachable: number;
  holdsAcknowledged: number;
  holdsLost: number;
  confirmationsAcknowledged: number;
  /** Acknowledged confirmations Postgres does not have (as confirmed, or cancelled by us). */
  confirmationsLost: number;
  cancellationsAcknowledged: number;
  cancellationsLost: number;
  /** A few of each, for the failure message. */
  samples: {
    confirmationsLost: string[];
    cancellationsLost: string[];
    unexpectedAnswers: string[];
    bad503s: string[];
    /** As "route status code +<ms after Redis answered again>". */
    reserve404sAfterKill: string[];
  };
  unexpectedAnswers: number;
  bad503s: number;
  reserve404sAfterKill: number;
  buyoutRounds: number;
  /** Engine processes that exited during the run (a Redis crash must not take them down). */
  processesExited: string[];
  categories: CategoryFigures[];
  postgresConfirmed: number;
  /** Every paid fan hears of it (issue 25): confirmation notifications, from the record. */
  notifications: {
    /** Acknowledged confirmations (before the crash) whose notification was not sent
     * within NOTIFIED_WITHIN_MS of Redis answering again. */
    notSentInTime: number;
    /** Redis answering again → every acknowledged confirmation's notification sent. */
    allSentAfterMs: number | null;
    /** At the end: confirmed (or confirmed, then cancelled) reservations in Postgres... */
    confirmedInPostgres: number;
    /** ...without a confirmation notification... */
    missing: number;
    /** ...or without a sent one, NOTIFIED_WITHIN_MS after the surge settled. */
    notSent: number;
    /** Reservations with more than one confirmation notification. */
    duplicates: number;
  };
  invariants: string;
  durationsMs: Record<string, number>;
}

export interface PausedVerifierReport {
  /** Redis answering again → the api proved it reached Redis (null: never). */
  apiReachedRedisAfterMs: number | null;
  /** Reserves sent while the verifier was paused, by status and code. */
  answersWhilePaused: Record<string, number>;
  /** Reserves sent after the api reached Redis, while the verifier was paused, answered 503. */
  fencedAfterReachable: number;
  /** Reserves answered anything but 503 while the verifier was paused (a few). */
  unfencedWhilePaused: string[];
  /** SIGCONT to the reaper → the first reserve answered other than 503 (null: never). */
  liftedAfterMs: number | null;
  firstAnswerAfterLift: string | null;
  invariants: string;
  /** Per category: the public availability = capacity − held − confirmed in Redis. */
  availabilityMatchesRedis: boolean;
}

export const tally = (answers: Answer[]) => {
  const out: Record<string, number> = {};
  for (const a of answers) {
    const key = `${a.route} ${a.status}${a.code && a.status !== 0 ? ` ${a.code}` : ''}`;
    out[key] = (out[key] ?? 0) + 1;
  }
  return out;
};
export const describeAnswer = (a: Answer) =>
  `${a.route} ${a.status} ${a.code ?? ''} ${JSON.stringify(a.body).slice(0, 160)}`;

export async function publish(report: ScenarioReport & { pausedVerifier?: PausedVerifierReport }) {
  const dir = join(FAULTS_DIR, 'figures');
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, `${report.scenario}.json`), `${JSON.stringify(report, null, 2)}\n`);
  const short = {
    scenario: report.scenario,
    'acked holds lost': `${report.holdsLost} of ${report.holdsAcknowledged}`,
    'acked confirmations lost': `${report.confirmationsLost} of ${report.confirmationsAcknowledged}`,
    'acked cancellations lost': `${report.cancellationsLost} of ${report.cancellationsAcknowledged}`,
    'acked confirmations not in Postgres at the crash': report.atKill.notInPostgres,
    'acked confirmations gone from Redis at restart':
      report.afterRestart.acknowledgedConfirmationsGoneFromRedis,
    'fenced (Redis up → first 201)': report.fencedMs === null ? 'never' : `${report.fencedMs} ms`,
    'api reconnected after':
      report.apiReconnectedAfterMs === null ? '-' : `${report.apiReconnectedAfterMs} ms`,
    'Postgres confirmed / capacity': `${report.postgresConfirmed} / ${report.capacity}`,
    'acked confirmations notified within 10 s of Redis':
      report.notifications.allSentAfterMs === null
        ? `no: ${report.notifications.notSentInTime} not sent`
        : `all, after ${report.notifications.allSentAfterMs} ms`,
    'confirmed in Postgres without a notification / not sent / duplicates': `${report.notifications.missing} / ${report.notifications.notSent} of ${report.notifications.confirmedInPostgres} / ${report.notifications.duplicates}`,
    invariants: report.invariants,
    ...(report.pausedVerifier
      ? {
          'verifier paused: api reached Redis after': `${report.pausedVerifier.apiReachedRedisAfterMs} ms`,
          'verifier paused: reserves fenced after that': report.pausedVerifier.fencedAfterReachable,
          'verifier resumed: sales back after': `${report.pausedVerifier.liftedAfterMs} ms (${report.pausedVerifier.firstAnswerAfterLift})`,
        }
      : {}),
  };
  console.log(
    `[faults] ${report.scenario}\n${Object.entries(short)
      .map(([k, v]) => `  ${k}: ${v}`)
      .join('\n')}\n  (full report: ${join(dir, `${report.scenario}.json`)})`,
  );
}
