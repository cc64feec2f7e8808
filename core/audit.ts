// The audit log: admin actions and security events, with actor, action, target and time.
import { auditLog } from '../drizzle/schema/index.js';
import type { Db } from '../platform/db/client.js';

export interface AuditEntry {
  actorId?: string | null;
  /** e.g. auth.login_succeeded, auth.refresh_reused, event.created. */
  action: string;
  targetType: string;
  targetId?: string | null;
  details?: Record<string, unknown>;
  ip?: string | null;
  requestId?: string | null;
}

export async function recordAudit(db: Pick<Db, 'insert'>, entry: AuditEntry): Promise<void> {
  await db.insert(auditLog).values({ ...entry, details: entry.details ?? {} });
}
