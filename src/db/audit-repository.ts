import type { AuditEvent as AuditEventRow, Prisma } from '../generated/prisma/client.js';
import type { AuditRepository, StoredAuditEvent } from '../services/security-ports.js';
import type { Database } from './prisma-client.js';

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
  };
}

export function createAuditRepository(db: Database): AuditRepository {
  return {
    async append(event) {
      await db.auditEvent.create({
        data: {
          actorTokenId: event.actor.tokenId,
          actorName: event.actor.name.slice(0, 100),
          action: event.action,
          applicationId: event.applicationId,
          appName: event.app?.slice(0, 255) ?? null,
          target: event.target,
          details: toJsonObject(event.details),
          address: event.address.slice(0, 100),
          requestId: event.requestId.slice(0, 128),
        },
      });
    },

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
