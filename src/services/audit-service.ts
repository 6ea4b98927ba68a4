import { decodeCursor, encodeCursor } from '../domain/cursor.js';
import { parseInt64 } from '../domain/int64.js';
import { AppError } from '../domain/errors.js';
import type { AuditEvent } from '../schemas/audit.js';
import type { ApplicationService, Page } from './application-service.js';
import type { AuditRepository, StoredAuditEvent } from './security-ports.js';

function toView(event: StoredAuditEvent): AuditEvent {
  return {
    id: event.id.toString(),
    occurredAt: event.occurredAt.toISOString(),
    actor: event.actor,
    action: event.action,
    app: event.app,
    target: event.target,
    details: event.details,
    address: event.address,
    requestId: event.requestId,
    clientRequestId: event.clientRequestId,
  };
}

function decodeIdCursor(cursor: string): bigint {
  const id = parseInt64(decodeCursor(cursor));
  if (id === null) {
    throw new AppError('VALIDATION_FAILED', 'cursor is not one this API issued', {
      issues: [{ path: '/cursor', message: 'invalid cursor', location: 'querystring' }],
    });
  }
  return id;
}

export function createAuditService(deps: {
  applications: Pick<ApplicationService, 'requireApp'>;
  audit: AuditRepository;
}) {
  const { applications, audit } = deps;

  async function page(
    applicationId: string | undefined,
    query: { limit: number; cursor?: string | undefined },
  ): Promise<Page<AuditEvent>> {
    const beforeId = query.cursor === undefined ? undefined : decodeIdCursor(query.cursor);
    const rows = await audit.list({ applicationId, limit: query.limit + 1, beforeId });
    const items = rows.slice(0, query.limit);
    const last = items.at(-1);
    return {
      items: items.map(toView),
      nextCursor:
        rows.length > query.limit && last !== undefined ? encodeCursor(last.id.toString()) : null,
    };
  }

  return {
    /** Newest first. */
    list(query: { limit: number; cursor?: string | undefined }): Promise<Page<AuditEvent>> {
      return page(undefined, query);
    },

    async listForApp(
      app: string,
      query: { limit: number; cursor?: string | undefined },
    ): Promise<Page<AuditEvent>> {
      const owner = await applications.requireApp(app);
      return page(owner.id, query);
    },
  };
}

export type AuditService = ReturnType<typeof createAuditService>;
