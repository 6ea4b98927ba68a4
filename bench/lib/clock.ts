/**
 * Wall-clock time in milliseconds with sub-millisecond resolution. Wall time, not a monotonic
 * clock, because it is compared with timestamps other processes wrote (PostgreSQL rows, the
 * fixture servers' stamps); they all read the same clock of this one machine.
 */
export function wallNow(): number {
  return performance.timeOrigin + performance.now();
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export class BenchTimeoutError extends Error {
  constructor(what: string, ms: number) {
    super(`${what} did not happen within ${(ms / 1000).toFixed(0)} s`);
    this.name = 'BenchTimeoutError';
  }
}

/** Polls `check` every intervalMs until it returns a value other than undefined, or throws. */
export async function pollUntil<T>(
  what: string,
  timeoutMs: number,
  intervalMs: number,
  check: () => Promise<T | undefined>,
): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (performance.now() >= deadline) throw new BenchTimeoutError(what, timeoutMs);
    await sleep(intervalMs);
  }
}
