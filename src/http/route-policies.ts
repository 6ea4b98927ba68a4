import type { AuditAction } from '../domain/audit.js';
import type { AppAction } from '../domain/authorization.js';

/**
 * Who may call what: the one table every route must appear in. The auth plugin refuses to start
 * when a route has no entry, so a new route cannot go live without an authorization decision.
 *
 * - public: no token needed.
 * - admin: admin tokens only.
 * - app: acts on one application, found from the `:app` parameter ('param') or from the
 *   deployment named by `:id` ('deployment'); admin tokens may always, deploy tokens only for
 *   their own apps and only for the actions in deployScopeActions (src/domain/authorization.ts).
 *
 * `audit` names the entry the audit log records when the request succeeds.
 */
export type RoutePolicy =
  | { access: 'public' }
  | { access: 'admin'; audit?: AuditAction }
  | { access: 'app'; action: AppAction; appFrom: 'param' | 'deployment'; audit?: AuditAction };

const open = { access: 'public' } as const satisfies RoutePolicy;

function admin(audit?: AuditAction): RoutePolicy {
  return audit === undefined ? { access: 'admin' } : { access: 'admin', audit };
}

function app(action: AppAction, audit?: AuditAction): RoutePolicy {
  return { access: 'app', action, appFrom: 'param', ...(audit === undefined ? {} : { audit }) };
}

function deployment(action: AppAction, audit?: AuditAction): RoutePolicy {
  return {
    access: 'app',
    action,
    appFrom: 'deployment',
    ...(audit === undefined ? {} : { audit }),
  };
}

/** Keyed by `METHOD url`, with the URL exactly as the route is registered (":param" style). */
export const routePolicies: Readonly<Record<string, RoutePolicy>> = {
  'GET /healthz': open,
  'GET /readyz': open,
  'GET /metrics': open,
  'GET /openapi.json': open,

  'POST /v1/apps': admin('app.create'),
  'GET /v1/apps': admin(),
  'GET /v1/apps/:app': app('read-app'),
  'PATCH /v1/apps/:app': app('change-app', 'app.update'),
  'DELETE /v1/apps/:app': app('change-app', 'app.delete'),

  'GET /v1/apps/:app/settings': app('read-settings'),
  'PATCH /v1/apps/:app/settings/web-container': app(
    'change-settings',
    'settings.web-container.update',
  ),
  'PATCH /v1/apps/:app/settings/startup-probe': app(
    'change-settings',
    'settings.startup-probe.update',
  ),
  'PATCH /v1/apps/:app/settings/resources': app('change-settings', 'settings.resources.update'),

  'GET /v1/apps/:app/release-commands': app('read-settings'),
  'POST /v1/apps/:app/release-commands': app('change-settings', 'release-command.create'),
  'PUT /v1/apps/:app/release-commands/order': app('change-settings', 'release-command.reorder'),
  'GET /v1/apps/:app/release-commands/:id': app('read-settings'),
  'PATCH /v1/apps/:app/release-commands/:id': app('change-settings', 'release-command.update'),
  'DELETE /v1/apps/:app/release-commands/:id': app('change-settings', 'release-command.delete'),

  'GET /v1/apps/:app/env': app('read-env'),
  'PUT /v1/apps/:app/env/:name': app('change-env', 'env.set'),
  'DELETE /v1/apps/:app/env/:name': app('change-env', 'env.delete'),

  'GET /v1/apps/:app/domains': app('read-settings'),
  'PUT /v1/apps/:app/domains/:hostname': app('change-settings', 'domain.set'),
  'DELETE /v1/apps/:app/domains/:hostname': app('change-settings', 'domain.delete'),

  'GET /v1/apps/:app/registry-credentials': app('read-settings'),
  'PUT /v1/apps/:app/registry-credentials': app('change-credentials', 'registry-credentials.set'),
  'DELETE /v1/apps/:app/registry-credentials': app(
    'change-credentials',
    'registry-credentials.delete',
  ),

  'POST /v1/apps/:app/deployments': app('deploy', 'deployment.trigger'),
  'GET /v1/apps/:app/deployments': app('read-deployments'),
  // The same scope as a trigger: a rollback is a deployment of an earlier release.
  'POST /v1/apps/:app/rollback': app('deploy', 'deployment.rollback'),
  'GET /v1/apps/:app/release': app('read-deployments'),
  'GET /v1/deployments/:id': deployment('read-deployments'),
  'GET /v1/deployments/:id/log': deployment('read-deployments'),
  'POST /v1/deployments/:id/cancel': deployment('cancel', 'deployment.cancel'),

  'GET /v1/apps/:app/audit': app('read-audit'),
  'GET /v1/audit': admin(),

  'POST /v1/tokens': admin('token.create'),
  'GET /v1/tokens': admin(),
  'DELETE /v1/tokens/:id': admin('token.revoke'),

  'POST /v1/webhooks': admin('webhook.create'),
  'GET /v1/webhooks': admin(),
  'GET /v1/webhooks/:id': admin(),
  'PATCH /v1/webhooks/:id': admin('webhook.update'),
  'DELETE /v1/webhooks/:id': admin('webhook.delete'),
  'GET /v1/webhooks/:id/deliveries': admin(),
  'POST /v1/webhooks/:id/deliveries/:deliveryId/redeliver': admin('webhook.redeliver'),
};

/** Swagger UI and its assets (registered by @fastify/swagger-ui) are public, like the document. */
const publicPrefixes = ['/docs'];

/** The policy of a route; HEAD routes (added by Fastify for each GET) follow their GET route. */
export function policyFor(method: string, url: string): RoutePolicy | undefined {
  if (publicPrefixes.some((prefix) => url === prefix || url.startsWith(`${prefix}/`))) return open;
  const key = `${method === 'HEAD' ? 'GET' : method} ${url}`;
  return Object.hasOwn(routePolicies, key) ? routePolicies[key] : undefined;
}
