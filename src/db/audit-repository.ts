import type { AuditEvent as AuditEventRow, Prisma } from '../generated/prisma/client.js';
import type { AuditRepository, StoredAuditEvent } from '../services/security-ports.js';
import type { AuditNote, AuditSubject } from '../services/audit-scope.js';
import type pg from 'pg';
import type { Database, Transaction } from './prisma-client.js';

function stringRecord(value: unknown): Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return {};
  return Object.fromEntries(
    Object.entries(value).filter(
      (entry): entry is [string, string] => typeof entry[1] === 'string',
    ),
  );
}

function jsonRecord(value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return {};
  return Object.fromEntries(Object.entries(value));
}

/** Keeps only plain JSON (what the details are meant to be); anything else becomes null. */
function toJsonObject(record: Record<string, unknown>): Prisma.InputJsonObject {
  return Object.fromEntries(Object.entries(record).map(([key, value]) => [key, toJson(value)]));
}

function toJson(value: unknown): Prisma.InputJsonValue | null {
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (Array.isArray(value)) return value.map(toJson);
  if (typeof value === 'object' && value !== null) return toJsonObject(jsonRecord(value));
  return null;
}

function toEvent(row: AuditEventRow): StoredAuditEvent {
  return {
    id: row.id,
    occurredAt: row.occurredAt,
    actor: { tokenId: row.actorTokenId, name: row.actorName },
    action: row.action,
    applicationId: row.applicationId,
    app: row.appName,
    target: stringRecord(row.target),
    details: jsonRecord(row.details),
    address: row.address,
    requestId: row.requestId,
    clientRequestId: row.clientRequestId,
  };
}

/** The columns of an audit entry, minus the app name (looked up when the subject lacks it). */
function auditColumns(note: AuditNote, subject: AuditSubject) {
  return {
    actorTokenId: note.actor.tokenId,
    actorName: note.actor.name.slice(0, 100),
    action: note.action,
    applicationId: subject.app?.id ?? null,
    target: {
      ...note.target,
      ...(subject.createdId === undefined ? {} : { createdId: subject.createdId }),
    },
    details: toJsonObject(note.details),
    address: note.address.slice(0, 100),
    requestId: note.requestId.slice(0, 128),
    clientRequestId: note.clientRequestId?.slice(0, 128) ?? null,
  };
}

/** Writes the entry of an audited request, inside the transaction of the change it records. */
export async function appendAuditEvent(
  tx: Transaction,
  note: AuditNote,
  subject: AuditSubject,
): Promise<void> {
  const app = subject.app;
  const appName =
    app === null
      ? null
      : (app.name ??
        (await tx.application.findUnique({ where: { id: app.id }, select: { name: true } }))
          ?.name ??
        null);
  await tx.auditEvent.create({
    data: { ...auditColumns(note, subject), appName: appName?.slice(0, 255) ?? null },
  });
}

/** appendAuditEvent for a transaction on a plain pg connection (see sqlOf). */
export async function appendAuditEventSql(
  client: pg.ClientBase,
  note: AuditNote,
  subject: AuditSubject,
): Promise<void> {
  const app = subject.app;
  let appName = app?.name ?? null;
  if (app !== null && appName === null) {
    const found = await client.query<{ name: string }>(
      'SELECT name FROM applications WHERE id = $1',
      [app.id],
    );
    appName = found.rows[0]?.name ?? null;
  }
  const columns = auditColumns(note, subject);
  await client.query(
    `INSERT INTO audit_events (actor_token_id, actor_name, action, application_id, app_name,
       target, details, address, request_id, client_request_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
    [
      columns.actorTokenId,
      columns.actorName,
      columns.action,
      columns.applicationId,
      appName?.slice(0, 255) ?? null,
      JSON.stringify(columns.target),
      JSON.stringify(columns.details),
      columns.address,
      columns.requestId,
      columns.clientRequestId,
    ],
  );
}

export function createAuditRepository(db: Database): AuditRepository {
  return {
    async list({ applicationId, limit, beforeId }) {
      const rows = await db.auditEvent.findMany({
        where: {
          ...(applicationId === undefined ? {} : { applicationId }),
          ...(beforeId === undefined ? {} : { id: { lt: beforeId } }),
        },
        orderBy: { id: 'desc' },
        take: limit,
      });
      return rows.map(toEvent);
    },
  };
}
