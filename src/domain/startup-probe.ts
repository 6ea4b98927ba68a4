import type { StartupProbeSettings } from '../schemas/settings.js';
import type { FieldIssue } from './errors.js';

/** Rules that involve more than one field, checked on the merged (stored + patch) settings. */
export function startupProbeConflicts(probe: StartupProbeSettings): FieldIssue[] {
  const issues: FieldIssue[] = [];
  if (probe.probeTimeoutSeconds > probe.startupTimeoutSeconds) {
    issues.push({
      path: '/probeTimeoutSeconds',
      message: `must not exceed startupTimeoutSeconds (${probe.startupTimeoutSeconds}), got ${probe.probeTimeoutSeconds}`,
    });
  }
  return issues;
}
