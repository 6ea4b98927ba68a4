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
    pending.set(request, { action: policy.audit, app: target });
  });

  // Written before the response leaves, so a client that sees the change also finds its entry.
  app.addHook('onSend', async (request, reply, payload) => {
    const entry = pending.get(request);
    if (entry === undefined || reply.statusCode < 200 || reply.statusCode >= 300) return payload;
    const principal = request.principal;
    if (principal === null) return payload;
    const params = routeParams(request);
    // A request on an existing thing (e.g. an accepted cancel, 202) names it already.
    const createdId =
      params.id === undefined
        ? createdIdOf(reply.statusCode, reply.getHeader('content-type'), payload)
        : null;
    try {
      await audit.record({
        actor: { tokenId: principal.tokenId, name: principal.name },
        action: entry.action,
        app: entry.app ?? createdApp(entry.action, createdId, request.body),
        target: { ...params, ...(createdId === null ? {} : { createdId }) },
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
    return payload;
  });
}

/** The id of what a request created (201: an app, a token) or started (202: a deployment). */
function createdIdOf(status: number, contentType: unknown, payload: unknown): string | null {
  if (status !== 201 && status !== 202) return null;
  if (typeof payload !== 'string' || typeof contentType !== 'string') return null;
  return contentType.startsWith('application/json') ? idOf(payload) : null;
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
function createdApp(action: AuditAction, createdId: string | null, body: unknown): AppRef | null {
  if (action !== 'app.create' || createdId === null) return null;
  if (
    typeof body === 'object' &&
    body !== null &&
    'name' in body &&
    typeof body.name === 'string'
  ) {
    return { id: createdId, name: body.name };
  }
  return null;
}

export default fp(auditPlugin, { name: 'audit', dependencies: ['auth'] });
