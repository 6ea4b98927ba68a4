import { auditDetails, type AuditAction } from '../domain/audit.js';
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
  };
}

export interface AuditRecord {
  actor: { tokenId: string | null; name: string };
  action: AuditAction;
  app: { id: string | null; name: string } | null;
  target: Record<string, string>;
  /** The request body; secret values are removed before anything is stored. */
  body: unknown;
  address: string;
  requestId: string;
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
    record(entry: AuditRecord): Promise<void> {
      return audit.append({
        actor: entry.actor,
        action: entry.action,
        applicationId: entry.app?.id ?? null,
        app: entry.app?.name ?? null,
        target: entry.target,
        details: auditDetails(entry.action, entry.body),
        address: entry.address,
        requestId: entry.requestId,
      });
    },

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
