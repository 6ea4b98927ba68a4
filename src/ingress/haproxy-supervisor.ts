/**
 * SLIPWAY_INGRESS=supervise: the worker runs HAProxy as its child and starts it again whenever it
 * exits without being asked to (crash, OOM kill, someone's kill -9). A restarted HAProxy loads
 * haproxy.cfg and the host map the controller keeps current, and onRestarted lets the controller
 * converge the rest at once rather than at the next reconcile pass.
 */
import type { Logger } from 'pino';
import { IngressError } from './ingress-error.js';
import { startHaproxy, type HaproxyProcess } from './haproxy-process.js';
import { stopLeftoverHaproxy } from './leftover-haproxy.js';

export interface HaproxySupervisorOptions {
  configFile: string;
  adminSocket: string;
  /** The master's pid file: how a HAProxy left by a killed worker is found and stopped. */
  pidFile: string;
  binary: string;
  logger: Logger;
  onRestarted: () => void;
  /** First delay before a restart, doubled per failed attempt up to maxRestartDelayMs. */
  restartDelayMs?: number;
  maxRestartDelayMs?: number;
}

export interface HaproxySupervisor {
  /** The current master's pid, or null while it is being restarted. */
  pid(): number | null;
  reload(): Promise<void>;
  /** Stops HAProxy for good (no restart) and waits until it has exited. */
  stop(): Promise<void>;
}

/** Starts HAProxy (throws IngressError if it cannot), then keeps it running until stop(). */
export async function superviseHaproxy(
  options: HaproxySupervisorOptions,
): Promise<HaproxySupervisor> {
  const { logger } = options;
  const start = () =>
    startHaproxy({
      configFile: options.configFile,
      adminSocket: options.adminSocket,
      binary: options.binary,
      extraArgs: ['-p', options.pidFile],
    });
  await stopLeftoverHaproxy(options.pidFile, options.configFile);
  let current: HaproxyProcess | null = await start();
  let stopping = false;
  // A call, not the variable: stop() flips it while an attempt awaits, which tsc cannot see.
  const isStopping = () => stopping;
  let timer: NodeJS.Timeout | null = null;
  let restarting: Promise<void> | null = null;
  const firstDelay = options.restartDelayMs ?? 200;
  const maxDelay = options.maxRestartDelayMs ?? 5000;

  function watch(process: HaproxyProcess): void {
    void process.exited.then(() => {
      if (isStopping() || current !== process) return;
      current = null;
      logger.error(
        { pid: process.pid, output: process.output().slice(-2000) },
        'HAProxy exited unexpectedly; restarting it',
      );
      schedule(firstDelay);
    });
  }

  function schedule(delayMs: number): void {
    timer = setTimeout(() => {
      timer = null;
      restarting = attempt(delayMs).finally(() => {
        restarting = null;
      });
    }, delayMs);
  }

  async function attempt(delayMs: number): Promise<void> {
    if (isStopping()) return;
    try {
      await stopLeftoverHaproxy(options.pidFile, options.configFile);
      const process = await start();
      if (isStopping()) {
        await process.stop();
        return;
      }
      current = process;
      watch(process);
      logger.warn({ pid: process.pid }, 'HAProxy restarted');
      options.onRestarted();
    } catch (error) {
      const next = Math.min(delayMs * 2, maxDelay);
      logger.error({ err: error, retryInMs: next }, 'HAProxy could not be restarted');
      schedule(next);
    }
  }

  watch(current);
  return {
    pid: () => current?.pid ?? null,
    async reload() {
      if (current === null) {
        throw new IngressError('INGRESS_UNAVAILABLE', 'HAProxy is being restarted');
      }
      await current.reload();
    },
    async stop() {
      stopping = true;
      if (timer !== null) clearTimeout(timer);
      await restarting;
      const last = current;
      current = null;
      await last?.stop();
    },
  };
}
