// npm run observe for real: Prometheus (Debian's package) with the repo's scrape config and
// rules against the engine's three processes, a short drop, then Prometheus's HTTP API:
// every rule evaluates without error, and the drop's series are there.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createSql } from '../../platform/db/client.js';
import { callApi, type Engine, engineDrop, startEngine } from '../helpers/engine.js';
import { type RunningProcess, runCommand, terminate } from '../helpers/processes.js';
import { eventually, freePort, services, testConfig } from '../helpers/services.js';

let engine: Engine | undefined;
let prometheus: RunningProcess | undefined;
afterAll(async () => {
  if (prometheus) await terminate(prometheus, 10_000);
  await engine?.stop();
});

describe('npm run observe', () => {
  it('scrapes api, worker and reaper; every rule evaluates; the drop’s series are there', async () => {
    // The notification reconciliation looks twice a second here (a minute by default).
    engine = await startEngine({
      redisUrl: services().redisUrl,
      env: { NOTIFY_RECONCILE_MS: '500' },
    });
    const ports = {
      API_METRICS_PORT: String(engine.opsPorts.api),
      WORKER_METRICS_PORT: String(engine.opsPorts.worker),
      REAPER_METRICS_PORT: String(engine.opsPorts.reaper),
    };
    const promPort = await freePort();
    prometheus = runCommand('bash', ['tools/dev/observe.sh'], {
      ...ports,
      OBSERVE_PORT: String(promPort),
      OBSERVE_INTERVAL: '1s',
      OBSERVE_DIR: mkdtempSync(join(tmpdir(), 'observe-')),
      // Prometheus is this test's subject; the trace backend is tracing.test.ts's.
      OBSERVE_TRACES: '0',
    });
    const prom = `http://127.0.0.1:${promPort}`;
    const query = async (q: string) => {
      const res = await fetch(`${prom}/api/v1/query?query=${encodeURIComponent(q)}`);
      return ((await res.json()) as { data: { result: { value: [number, string] }[] } }).data
        .result;
    };

    // A short drop: holds (some expire), confirmations.
    const e = engine;
    const { eventId, categoryId } = await engineDrop(
      e,
      { name: 'Observed drop', holdTtlSeconds: 5 },
      100,
    );
    const fan = { email: `observer-${Date.now()}@example.test`, password: 'observing fan' };
    await callApi(e, 'POST', '/v1/auth/register', undefined, fan);
    const token = (await callApi(e, 'POST', '/v1/auth/login', undefined, fan)).body
      .accessToken as string;
    for (let i = 0; i < 6; i++) {
      const hold = await callApi(e, 'POST', '/v1/reservations', token, {
        eventId,
        categoryId,
        quantity: 1,
      });
      expect(hold.status).toBe(201);
      if (i % 2 === 0)
        expect(
          (await callApi(e, 'POST', `/v1/reservations/${hold.body.id}/confirm`, token, {})).status,
        ).toBe(200);
    }

    // Every target up, every rule evaluated without error.
    await eventually(
      async () => {
        const up = await query('up');
        return up.length === 3 && up.every((r) => r.value[1] === '1');
      },
      { timeoutMs: 60_000, intervalMs: 500, what: 'api, worker and reaper scraped' },
    );
    await eventually(
      async () => {
        const res = await fetch(`${prom}/api/v1/rules`);
        const { data } = (await res.json()) as {
          data: { groups: { rules: { name: string; health: string; lastError?: string }[] }[] };
        };
        const rules = data.groups.flatMap((g) => g.rules);
        const bad = rules.filter((r) => r.health !== 'ok');
        if (bad.length)
          throw new Error(bad.map((r) => `${r.name}: ${r.health} ${r.lastError ?? ''}`).join('; '));
        return rules.length > 10;
      },
      { timeoutMs: 30_000, intervalMs: 500, what: 'every rule evaluated ok' },
    );
    // The drop's series: reserve rate, holds expired, outbox depth, consumer lag.
    await eventually(
      async () => {
        const reserves = await query(
          'sum(reservation_outcomes_total{operation="reserve",result="ok"})',
        );
        const expired = await query('sum(reaper_expired_total)');
        const outbox = await query('outbox_depth');
        const lag = await query('kafka_consumer_lag');
        const seen = {
          reserves: Number(reserves[0]?.value[1] ?? 0),
          expired: Number(expired[0]?.value[1] ?? 0),
          outboxSeries: outbox.length,
          lagSeries: lag.length,
        };
        if (seen.reserves >= 6 && seen.expired >= 3 && seen.outboxSeries > 0 && seen.lagSeries > 0)
          return true;
        throw new Error(JSON.stringify(seen));
      },
      { timeoutMs: 40_000, intervalMs: 1000, what: 'the drop’s series in Prometheus' },
    );

    // A confirmed reservation whose notification the record lost (a restore by hand): the
    // worker finds it, stores and sends it once, and the alert says so.
    const sql = createSql(testConfig());
    try {
      const [confirmed] = await sql<{ id: string }[]>`
        select id from reservations where event_id = ${eventId} and status = 'confirmed' limit 1`;
      if (!confirmed) throw new Error('no confirmed reservation');
      await eventually(
        async () =>
          (
            await sql`delete from notifications where reservation_id = ${confirmed.id}
              and kind = 'reservation.confirmed' returning 1`
          ).length === 1,
        { timeoutMs: 10_000, what: 'the confirmation notice, stored with the sale' },
      );
      await eventually(
        async () => {
          const alerts = await (await fetch(`${prom}/api/v1/alerts`)).json();
          const found = (
            alerts as { data: { alerts: { labels: Record<string, string>; state: string }[] } }
          ).data.alerts.find((a) => a.labels.alertname === 'NotificationsMissing');
          return found?.labels.kind === 'reservation.confirmed' && found.state === 'firing';
        },
        { timeoutMs: 40_000, intervalMs: 500, what: 'NotificationsMissing firing' },
      );
      const notices = await sql<{ status: string }[]>`
        select status from notifications where reservation_id = ${confirmed.id}
          and kind = 'reservation.confirmed'`;
      expect(notices).toHaveLength(1);
      await eventually(
        async () =>
          (
            await sql`select 1 from notifications where reservation_id = ${confirmed.id}
              and kind = 'reservation.confirmed' and status = 'sent'`
          ).length === 1,
        { timeoutMs: 10_000, what: 'the reconciled notification sent' },
      );
    } finally {
      await sql.end({ timeout: 2 });
    }
  }, 180_000);
});
