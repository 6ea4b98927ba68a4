import type { ResourceLimits } from '../domain/resource-limits.js';

const mebibyte = 1024 * 1024;

/** The HostConfig fields that enforce an app's resource limits; none when there are no limits. */
export function resourceHostConfig(limits: ResourceLimits | undefined): {
  Memory?: number;
  MemorySwap?: number;
  NanoCpus?: number;
  PidsLimit?: number;
} {
  if (limits === undefined) return {};
  const memory = limits.memoryMiB * mebibyte;
  return {
    Memory: memory,
    // Equal to Memory: no swap on top, so exceeding the limit ends in the OOM killer, visibly.
    MemorySwap: memory,
    NanoCpus: Math.round(limits.cpus * 1e9),
    PidsLimit: limits.pids,
  };
}
