import type { StartupProbeSettings } from '../schemas/settings.js';
import type { ProbeAttempt } from './http-probe.js';

export interface StartupProbeOptions {
  url: string;
  settings: StartupProbeSettings;
  attempt: (url: string, timeoutMs: number) => Promise<ProbeAttempt>;
  /** The Host header the attempts send (for the log line); null: the URL's own. */
  host?: string | null;
  /** Null when the workload no longer exists. */
  containerState: () => Promise<{ running: boolean; exitCode: number | null } | null>;
  log: (line: string) => void;
  signal?: AbortSignal;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export type StartupProbeResult =
  | { outcome: 'ready'; attempts: number; elapsedMs: number; status: number }
  | { outcome: 'timed-out'; attempts: number; elapsedMs: number }
  | { outcome: 'retries-exhausted'; attempts: number; elapsedMs: number }
  | { outcome: 'container-exited'; attempts: number; exitCode: number | null }
  | { outcome: 'aborted'; attempts: number };

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Polls the new web container until it answers 2xx/3xx. Consecutive failures with the same reason
 * are logged as one line ("attempts 1-25: refused") so a slow start does not flood the log.
 */
export async function runStartupProbe(options: StartupProbeOptions): Promise<StartupProbeResult> {
  const { settings } = options;
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? defaultSleep;
  const started = now();
  const deadline = started + settings.startupTimeoutSeconds * 1000;
  let attempts = 0;
  let run: { reason: string; first: number; last: number } | null = null;

  const flushRun = () => {
    if (run === null) return;
    const range =
      run.first === run.last ? `attempt ${run.first}` : `attempts ${run.first}-${run.last}`;
    options.log(`${range}: ${run.reason}`);
    run = null;
  };

  options.log(
    `probing ${options.url}${options.host == null ? '' : ` with Host: ${options.host}`} every ${settings.intervalMs} ms (request timeout ${settings.probeTimeoutSeconds} s, give up after ${settings.startupTimeoutSeconds} s or ${settings.maxRetries} attempts)`,
  );
  for (;;) {
    if (options.signal?.aborted === true) {
      flushRun();
      return { outcome: 'aborted', attempts };
    }
    const state = await options.containerState();
    if (state === null || !state.running) {
      flushRun();
      return { outcome: 'container-exited', attempts, exitCode: state?.exitCode ?? null };
    }
    const remaining = deadline - now();
    if (remaining <= 0) {
      flushRun();
      return { outcome: 'timed-out', attempts, elapsedMs: now() - started };
    }
    attempts += 1;
    const result = await options.attempt(
      options.url,
      Math.max(1, Math.min(settings.probeTimeoutSeconds * 1000, remaining)),
    );
    if (result.ok) {
      flushRun();
      const elapsedMs = now() - started;
      options.log(`attempt ${attempts}: HTTP ${result.status} after ${elapsedMs} ms`);
      return { outcome: 'ready', attempts, elapsedMs, status: result.status };
    }
    if (run !== null && run.reason === result.reason) {
      run.last = attempts;
    } else {
      flushRun();
      run = { reason: result.reason, first: attempts, last: attempts };
    }
    if (attempts >= settings.maxRetries) {
      flushRun();
      return { outcome: 'retries-exhausted', attempts, elapsedMs: now() - started };
    }
    const wait = Math.min(settings.intervalMs, deadline - now());
    if (wait > 0) await sleep(wait);
  }
}
