/** Every change the audit log records, by name. */
export const auditActions = [
  'app.create',
  'app.update',
  'app.delete',
  'settings.web-container.update',
  'settings.startup-probe.update',
  'settings.resources.update',
  'release-command.create',
  'release-command.update',
  'release-command.delete',
  'release-command.reorder',
  'env.set',
  'env.delete',
  'domain.set',
  'domain.delete',
  'registry-credentials.set',
  'registry-credentials.delete',
  'token.create',
  'token.revoke',
  'deployment.trigger',
  'deployment.rollback',
  'deployment.cancel',
  'webhook.create',
  'webhook.update',
  'webhook.delete',
  'webhook.redeliver',
] as const;

export type AuditAction = (typeof auditActions)[number];

/** Keys whose string values are never recorded, whatever the action (defence in depth). */
const secretKeys = new Set(['password', 'token', 'secret', 'value', 'authorization']);
/** Non-secret values are recorded, but bounded, so the log cannot be used to store bulk data. */
const maxRecordedStringLength = 10_000;

/**
 * What the audit entry says was sent: the request body with every secret value removed. An env
 * var's value is recorded only when it is not secret; a registry password never is; a token's
 * secret is never in a request body to begin with.
 */
export function auditDetails(action: AuditAction, body: unknown): Record<string, unknown> {
  if (!isRecord(body)) return {};
  switch (action) {
    case 'env.set': {
      const secret = body.secret === true;
      return secret || typeof body.value !== 'string'
        ? { secret }
        : { secret, value: bounded(body.value) };
    }
    case 'registry-credentials.set':
      return pick(body, ['server', 'username']);
    case 'token.create':
      return pick(body, ['name', 'scope', 'apps']);
    default:
      return scrub(body);
  }
}

function pick(body: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return scrub(
    Object.fromEntries(keys.filter((key) => key in body).map((key) => [key, body[key]])),
  );
}

function scrub(record: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record)) {
    if (secretKeys.has(key.toLowerCase()) && typeof value !== 'boolean') continue;
    out[key] = scrubValue(value);
  }
  return out;
}

function scrubValue(value: unknown): unknown {
  if (typeof value === 'string') return bounded(value);
  if (Array.isArray(value)) return value.map(scrubValue);
  if (isRecord(value)) return scrub(value);
  return value;
}

function bounded(text: string): string {
  return text.length <= maxRecordedStringLength
    ? text
    : `${text.slice(0, maxRecordedStringLength)}… (${text.length - maxRecordedStringLength} more characters)`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
