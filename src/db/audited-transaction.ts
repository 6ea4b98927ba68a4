import { currentAuditScope, type AuditSubject } from '../services/audit-scope.js';
import { appendAuditEvent } from './audit-repository.js';
import type { Database, Transaction } from './prisma-client.js';

/**
 * Runs a change in a transaction and, when it runs for an audited request, writes the request's
 * audit entry in that same transaction: if the entry cannot be written, the change is rolled
 * back. `subjectOf` says what the change touched, or null when it changed nothing (e.g. a delete
 * of something already gone), in which case nothing is recorded.
 */
export async function auditedTransaction<T>(
  db: Database,
  work: (tx: Transaction) => Promise<T>,
  subjectOf: (result: T) => AuditSubject | null,
): Promise<T> {
  const scope = currentAuditScope();
  return db.$transaction(async (tx) => {
    const result = await work(tx);
    const subject = scope === undefined ? null : subjectOf(result);
    if (scope !== undefined && subject !== null) {
      await appendAuditEvent(tx, scope.note, subject);
      scope.recorded += 1;
    }
    return result;
  });
}
