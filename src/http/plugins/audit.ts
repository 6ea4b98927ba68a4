import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { AuditAction } from '../../domain/audit.js';
import type { AccessService, AppRef } from '../../services/access-service.js';
import type { AuditService } from '../../services/audit-service.js';
import { findRouteApp, routeParams } from '../route-app.js';

export interface AuditPluginOptions {
  audit: AuditService;
  access: AccessService;
}

interface PendingEntry {
  action: AuditAction;
  /** Resolved before the handler runs, so a deleted or renamed app is still identified. */
  app: AppRef | null;
  createdId: string | null;
}

/**
 * Records every successful request of a route whose policy names an audit action: who, what,
 * on which app, from where. Failed requests changed nothing and are not recorded.
 */
async function auditPlugin(app: FastifyInstance, options: AuditPluginOptions) {
  const { audit, access } = options;
  const pending = new WeakMap<FastifyRequest, PendingEntry>();

  app.addHook('preHandler', async (request) => {
    const policy = request.routeOptions.config.policy;
    if (policy === undefined || policy.access === 'public' || policy.audit === undefined) return;
    const target = policy.access === 'app' ? await findRouteApp(request, policy, access) : null;
    pending.set(request, { action: policy.audit, app: target, createdId: null });
  });

  // The id of what a request created (an app, a deployment, a token) is only in the response.
  app.addHook('onSend', async (request, reply, payload) => {
    const entry = pending.get(request);
    const type = reply.getHeader('content-type');
    if (
      entry !== undefined &&
      reply.statusCode === 201 &&
      typeof payload === 'string' &&
      typeof type === 'string' &&
      type.startsWith('application/json')
    ) {
      entry.createdId = idOf(payload);
    }
    return payload;
  });

  app.addHook('onResponse', async (request, reply) => {
    const entry = pending.get(request);
    if (entry === undefined || reply.statusCode < 200 || reply.statusCode >= 300) return;
    const principal = request.principal;
    if (principal === null) return;
    try {
      await audit.record({
        actor: { tokenId: principal.tokenId, name: principal.name },
        action: entry.action,
        app: entry.app ?? createdApp(entry, request.body),
        target: {
          ...routeParams(request),
          ...(entry.createdId === null ? {} : { createdId: entry.createdId }),
        },
        body: request.body,
        address: request.ip,
        requestId: request.id,
      });
    } catch (error) {
      // The change itself went through; the missing entry must at least be loud in the logs.
      request.log.error(
        { err: error, action: entry.action, principal: principal.name },
        'could not record an audit event',
      );
    }
  });
}

function idOf(payload: string): string | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload);
  } catch {
    // Not JSON after all: there is no created id to record.
    return null;
  }
  if (typeof parsed === 'object' && parsed !== null && 'id' in parsed) {
    return typeof parsed.id === 'string' ? parsed.id : null;
  }
  return null;
}

/** A newly created app is its own target: its id from the response, its name from the body. */
function createdApp(entry: PendingEntry, body: unknown): AppRef | null {
  if (entry.action !== 'app.create' || entry.createdId === null) return null;
  if (
    typeof body === 'object' &&
    body !== null &&
    'name' in body &&
    typeof body.name === 'string'
  ) {
    return { id: entry.createdId, name: body.name };
  }
  return null;
}

export default fp(auditPlugin, { name: 'audit', dependencies: ['auth'] });
