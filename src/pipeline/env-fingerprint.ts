import { createHash } from 'node:crypto';

/**
 * Names what a web workload was started with that it cannot change afterwards: the app's
 * variables, the app name and the web port. A retained workload is started again by a rollback
 * only when this matches the rollback's own, so a rotated secret or a changed variable never
 * comes back with an old container. A hash, so no value is stored in the clear.
 */
export function envFingerprint(input: {
  env: Record<string, string>;
  app: string;
  port: number;
}): string {
  const entries = Object.entries(input.env).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return createHash('sha256')
    .update(JSON.stringify({ env: entries, app: input.app, port: input.port }))
    .digest('hex');
}
