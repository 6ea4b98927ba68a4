import type { FastifyInstance, FastifyRequest, RouteHandlerMethod } from 'fastify';
import fp from 'fastify-plugin';
import { auditDetails, type AuditAction } from '../../domain/audit.js';
import { runInAuditScope, type AuditNote, type AuditScope } from '../../services/audit-scope.js';
import { routeParams } from '../route-app.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The caller's own X-Request-Id when it is sane; the request id itself is always ours. */
    clientRequestId: string | null;
  }
}

function noteOf(request: FastifyRequest, action: AuditAction): AuditNote | null {
  const principal = request.principal;
  if (principal === null) return null;
  return {
    actor: { tokenId: principal.tokenId, name: principal.name },
    action,
    target: routeParams(request),
    details: auditDetails(action, request.body),
    address: request.ip,
    requestId: request.id,
    clientRequestId: request.clientRequestId,
  };
}

/**
 * Every route whose policy names an audit action runs its handler in an audit scope: the
 * repository that makes the change writes the entry in the change's own transaction (see
 * src/db/audited-transaction.ts), so a change and its entry commit together or not at all.
 * A successful audited request that recorded nothing is a bug, and logged as one.
 */
async function auditPlugin(app: FastifyInstance) {
  const scopes = new WeakMap<FastifyRequest, AuditScope>();

  app.addHook('onRoute', (route) => {
    const policy = route.config?.policy;
    if (policy === undefined || policy.access === 'public' || policy.audit === undefined) return;
    const action = policy.audit;
    const handler: RouteHandlerMethod = route.handler;
    route.handler = function auditedHandler(this: FastifyInstance, request, reply) {
      const note = noteOf(request, action);
      if (note === null) return handler.call(this, request, reply);
      const scope: AuditScope = { note, recorded: 0 };
      scopes.set(request, scope);
      return runInAuditScope(scope, () => handler.call(this, request, reply));
    };
  });

  app.addHook('onResponse', async (request, reply) => {
    const scope = scopes.get(request);
    if (scope === undefined || reply.statusCode < 200 || reply.statusCode >= 300) return;
    // A trigger answered 200 replays an earlier deployment: it changed nothing.
    const replay = scope.note.action === 'deployment.trigger' && reply.statusCode === 200;
    if (scope.recorded === 0 && !replay) {
      request.log.error({ action: scope.note.action }, 'an audited change recorded no audit entry');
    }
  });
}

export default fp(auditPlugin, { name: 'audit', dependencies: ['auth'] });
