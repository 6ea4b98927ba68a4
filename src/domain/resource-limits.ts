import type { ResourceSettings } from '../schemas/settings.js';

/**
 * Per-app limits of every release-command and web container. Without them one deployment (a
 * migration that leaks memory, a fork bomb) could take the whole Docker host, Slipway included.
 */
export type ResourceLimits = ResourceSettings;

/** Sane for a small web app or a migration; an app that needs more says so in its settings. */
export const resourceDefaults: ResourceLimits = { memoryMiB: 512, cpus: 1, pids: 512 };

export const resourceBounds = {
  /** Docker refuses less than 6 MiB. */
  memoryMiB: { min: 6, max: 1_048_576 },
  /** In steps of 0.01; the engine also refuses more than the host has. */
  cpus: { min: 0.01, max: 256 },
  /** A shell, an init and a pipeline need a few; 4194304 is the kernel's own maximum. */
  pids: { min: 16, max: 4_194_304 },
} as const;

/** The step error of a release command the kernel's OOM killer ended. */
export function outOfMemoryError(limits: ResourceLimits): string {
  return `out of memory (limit ${limits.memoryMiB} MiB)`;
}
