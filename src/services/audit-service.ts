import { decodeNumericCursor, pageOf, type Page } from '../domain/cursor.js';
import type { AuditEvent } from '../schemas/audit.js';
import type { ApplicationService } from './application-service.js';
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

export function createAuditService(deps: {
  applications: Pick<ApplicationService, 'requireApp'>;
  audit: AuditRepository;
}) {
  const { applications, audit } = deps;

  async function page(
    applicationId: string | undefined,
    query: { limit: number; cursor?: string | undefined },
  ): Promise<Page<AuditEvent>> {
    const beforeId = query.cursor === undefined ? undefined : decodeNumericCursor(query.cursor);
    const rows = await audit.list({ applicationId, limit: query.limit + 1, beforeId });
    return pageOf(rows, query.limit, (event) => event.id.toString(), toView);
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
