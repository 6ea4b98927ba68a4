/**
 * The stable operation name of every documented route, as generated clients and the CLI call it.
 * Kept in one table (like route-policies.ts) so a rename is a visible, deliberate change; the
 * OpenAPI plugin refuses to start when a documented route has no entry here.
 *
 * Keyed by `METHOD url`, with the URL exactly as the route is registered (":param" style).
 */
export const operationIds: Readonly<Record<string, string>> = {
  'GET /healthz': 'getLiveness',
  'GET /readyz': 'getReadiness',
  'GET /metrics': 'getMetrics',

  'POST /v1/apps': 'createApp',
  'GET /v1/apps': 'listApps',
  'GET /v1/apps/:app': 'getApp',
  'PATCH /v1/apps/:app': 'updateApp',
  'DELETE /v1/apps/:app': 'deleteApp',

  'GET /v1/apps/:app/settings': 'getSettings',
  'PATCH /v1/apps/:app/settings/web-container': 'updateWebContainerSettings',
  'PATCH /v1/apps/:app/settings/startup-probe': 'updateStartupProbeSettings',
  'PATCH /v1/apps/:app/settings/resources': 'updateResourceSettings',

  'GET /v1/apps/:app/release-commands': 'listReleaseCommands',
  'POST /v1/apps/:app/release-commands': 'createReleaseCommand',
  'PUT /v1/apps/:app/release-commands/order': 'reorderReleaseCommands',
  'GET /v1/apps/:app/release-commands/:id': 'getReleaseCommand',
  'PATCH /v1/apps/:app/release-commands/:id': 'updateReleaseCommand',
  'DELETE /v1/apps/:app/release-commands/:id': 'deleteReleaseCommand',

  'GET /v1/apps/:app/env': 'listEnvVars',
  'PUT /v1/apps/:app/env/:name': 'setEnvVar',
  'DELETE /v1/apps/:app/env/:name': 'deleteEnvVar',

  'GET /v1/apps/:app/domains': 'listDomains',
  'PUT /v1/apps/:app/domains/:hostname': 'setDomain',
  'DELETE /v1/apps/:app/domains/:hostname': 'deleteDomain',

  'GET /v1/apps/:app/registry-credentials': 'getRegistryCredentials',
  'PUT /v1/apps/:app/registry-credentials': 'setRegistryCredentials',
  'DELETE /v1/apps/:app/registry-credentials': 'deleteRegistryCredentials',

  'POST /v1/apps/:app/deployments': 'createDeployment',
  'GET /v1/apps/:app/deployments': 'listDeployments',
  'POST /v1/apps/:app/rollback': 'rollbackApp',
  'GET /v1/apps/:app/release': 'getRelease',
  'GET /v1/deployments/:id': 'getDeployment',
  'GET /v1/deployments/:id/log': 'getDeploymentLog',
  'POST /v1/deployments/:id/cancel': 'cancelDeployment',

  'GET /v1/apps/:app/audit': 'listAppAuditEvents',
  'GET /v1/audit': 'listAuditEvents',

  'POST /v1/tokens': 'createToken',
  'GET /v1/tokens': 'listTokens',
  'DELETE /v1/tokens/:id': 'revokeToken',

  'POST /v1/webhooks': 'createWebhook',
  'GET /v1/webhooks': 'listWebhooks',
  'GET /v1/webhooks/:id': 'getWebhook',
  'PATCH /v1/webhooks/:id': 'updateWebhook',
  'DELETE /v1/webhooks/:id': 'deleteWebhook',
  'GET /v1/webhooks/:id/deliveries': 'listWebhookDeliveries',
  'POST /v1/webhooks/:id/deliveries/:deliveryId/redeliver': 'redeliverWebhookDelivery',
};

/** The operation name of a route, or undefined when the table has none. */
export function operationIdFor(method: string, url: string): string | undefined {
  const key = `${method} ${url}`;
  return Object.hasOwn(operationIds, key) ? operationIds[key] : undefined;
}
