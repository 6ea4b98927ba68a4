import { isConnectionError } from './prisma-errors.js';

export interface RetryPolicy {
  /** No new attempt starts once this long has passed since the first one. */
  maxElapsedMs: number;
  /** Also bounded in count, whatever the clock says. */
  maxAttempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
}

/** Enough to ride out a database restart or failover; short enough that a dead database shows. */
export const writeRetryPolicy: RetryPolicy = {
  maxElapsedMs: 60_000,
  maxAttempts: 100,
  initialDelayMs: 100,
  maxDelayMs: 5_000,
};

export interface RetryHooks {
  /** Which errors are worth another attempt; by default only lost or refused connections. */
  isRetryable?: (error: unknown) => boolean;
  /** Told before each wait (attempt = the one that just failed, from 1). */
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

const realSleep = (ms: number) =>
  new Promise<void>((resolve) => {
    setTimeout(resolve, ms);
  });

/**
 * Runs `operation`, and again after an exponentially growing pause (with jitter, so workers that
 * lost the database together do not come back in lockstep) while it fails with a retryable error
 * and the policy's time and attempt budget lasts. Any other error, or the last one, is thrown.
 */
export async function retrying<T>(
  operation: () => Promise<T>,
  policy: RetryPolicy,
  hooks: RetryHooks = {},
): Promise<T> {
  const isRetryable = hooks.isRetryable ?? isConnectionError;
  const sleep = hooks.sleep ?? realSleep;
  const now = hooks.now ?? Date.now;
  const startedAt = now();
  let delay = policy.initialDelayMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation();
    } catch (error) {
      if (!isRetryable(error) || attempt >= policy.maxAttempts) throw error;
      const pause = Math.round(delay * (0.8 + Math.random() * 0.4));
      if (now() - startedAt + pause > policy.maxElapsedMs) throw error;
      hooks.onRetry?.(error, attempt, pause);
      await sleep(pause);
      delay = Math.min(delay * 2, policy.maxDelayMs);
    }
  }
}
