/**
 * Counts failed authentications per client address in fixed windows. Once an address reaches
 * the limit it is refused (even with a valid token, so guessing cannot continue) until its window
 * ends. Memory is bounded: expired entries are swept, and past `maxTrackedAddresses` the oldest
 * entries are dropped.
 */
export interface AuthFailureLimiterOptions {
  maxFailures?: number;
  windowMs?: number;
  maxTrackedAddresses?: number;
  now?: () => number;
}

export interface AuthFailureLimiter {
  /** Seconds until the address may try again, or 0 when it is not blocked. */
  retryAfterSeconds(address: string): number;
  recordFailure(address: string): void;
}

export const defaultMaxAuthFailures = 20;
export const defaultAuthFailureWindowMs = 60_000;

export function createAuthFailureLimiter(
  options: AuthFailureLimiterOptions = {},
): AuthFailureLimiter {
  const maxFailures = options.maxFailures ?? defaultMaxAuthFailures;
  const windowMs = options.windowMs ?? defaultAuthFailureWindowMs;
  const maxTracked = options.maxTrackedAddresses ?? 10_000;
  const now = options.now ?? Date.now;
  // Insertion order = window start order, which makes sweeping from the front correct.
  const windows = new Map<string, { startedAt: number; failures: number }>();

  function sweep(at: number): void {
    for (const [address, entry] of windows) {
      if (at - entry.startedAt < windowMs && windows.size <= maxTracked) break;
      windows.delete(address);
    }
  }

  function current(address: string, at: number) {
    const entry = windows.get(address);
    if (entry === undefined || at - entry.startedAt >= windowMs) return undefined;
    return entry;
  }

  return {
    retryAfterSeconds(address) {
      const at = now();
      const entry = current(address, at);
      if (entry === undefined || entry.failures < maxFailures) return 0;
      return Math.max(1, Math.ceil((entry.startedAt + windowMs - at) / 1000));
    },
    recordFailure(address) {
      const at = now();
      const entry = current(address, at);
      if (entry !== undefined) {
        entry.failures += 1;
        return;
      }
      windows.delete(address);
      windows.set(address, { startedAt: at, failures: 1 });
      sweep(at);
    },
  };
}
