// The reconciliation of notifications: every NOTIFY_RECONCILE_MS, the record is searched
// for confirmed, cancelled or expired reservations whose fan has no notification (a record
// written before notices were, a row restored by hand), and theirs are stored; the
// delivery loop sends them. Normally it finds none: a notice is written in the same
// statement as its step (core/records/notices.ts). What it finds is counted, and the
// NotificationsMissing alert (prometheus/rules.yml) says so.
import { Counter, Gauge, type Registry } from 'prom-client';
import { NOTIFIED_KINDS, notifyMissing } from '../core/records/notices.js';
import type { Sql } from '../platform/db/client.js';
import type { Logger } from '../platform/logger.js';
import { createLoop } from '../platform/loop.js';

export function createNoticeReconciliation(
  sql: Sql,
  logger: Logger,
  registry: Registry,
  options: { channel: string; namespace: string; intervalMs: number },
) {
  const missing = new Gauge({
    name: 'notifications_missing',
    help: 'Reservations found without their notification at the last reconciliation, by kind',
    labelNames: ['kind'] as const,
    registers: [registry],
  });
  const reconciled = new Counter({
    name: 'notifications_reconciled_total',
    help: 'Notifications the reconciliation stored because the record had none, by kind',
    labelNames: ['kind'] as const,
    registers: [registry],
  });
  for (const kind of NOTIFIED_KINDS) {
    missing.set({ kind }, 0);
    reconciled.inc({ kind }, 0);
  }

  async function check() {
    const found = await notifyMissing(sql, options.channel, options.namespace);
    for (const kind of NOTIFIED_KINDS) {
      missing.set({ kind }, found[kind]);
      if (found[kind] > 0) {
        reconciled.inc({ kind }, found[kind]);
        logger.warn({ kind, count: found[kind] }, 'reservations without their notification');
      }
    }
    return found;
  }

  const loop = createLoop(
    check,
    () => options.intervalMs,
    (err) => logger.error({ err }, 'notification reconciliation failed; retrying'),
  );
  return { check, start: () => loop.start(), stop: () => loop.stop() };
}
