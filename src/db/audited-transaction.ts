import { currentAuditScope, type AuditSubject } from '../services/audit-scope.js';
import type pg from 'pg';
import { appendAuditEvent, appendAuditEventSql } from './audit-repository.js';
import { sqlOf, type Database, type Transaction } from './prisma-client.js';

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

/**
 * auditedTransaction on a plain pg connection of the same pool (see sqlOf), for a change on
 * every request's path (a deployment trigger): same guarantee, without Prisma's per-statement
 * cost. A connection whose ROLLBACK fails is discarded rather than returned to the pool.
 */
export async function auditedSqlTransaction<T>(
  db: Database,
  work: (client: pg.ClientBase) => Promise<T>,
  subjectOf: (result: T) => AuditSubject | null,
): Promise<T> {
  const scope = currentAuditScope();
  const client = await sqlOf(db).connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    try {
      const result = await work(client);
      const subject = scope === undefined ? null : subjectOf(result);
      if (scope !== undefined && subject !== null) {
        await appendAuditEventSql(client, scope.note, subject);
      }
      await client.query('COMMIT');
      if (scope !== undefined && subject !== null) scope.recorded += 1;
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch((rollbackError: unknown) => {
        broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
      });
      throw error;
    }
  } finally {
    client.release(broken);
  }
}
