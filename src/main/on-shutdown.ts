import type { Logger } from 'pino';

export interface ShutdownOptions {
  /**
   * When set, the process exits with code 1 if `stop` has not completed this long after the
   * signal: a connection that never closes must not keep a stopped service alive.
   */
  forceExitAfterMs?: number;
}

/**
 * Runs `stop` once on the first SIGTERM or SIGINT; a failure while stopping is logged and makes
 * the exit code 1. The process exits by itself once `stop` has closed everything it held open.
 */
export function onShutdown(
  logger: Logger,
  stop: (signal: string) => Promise<void>,
  options: ShutdownOptions = {},
): void {
  let stopping = false;
  const handle = (signal: string) => {
    if (stopping) return;
    stopping = true;
    const forced = armForcedExit(logger, options.forceExitAfterMs);
    stop(signal).then(
      () => {
        clearTimeout(forced);
        logger.info('stopped');
      },
      (error: unknown) => {
        clearTimeout(forced);
        logger.error({ err: error }, 'shutdown did not complete cleanly');
        process.exitCode = 1;
      },
    );
  };
  process.once('SIGTERM', () => {
    handle('SIGTERM');
  });
  process.once('SIGINT', () => {
    handle('SIGINT');
  });
}

function armForcedExit(logger: Logger, ms: number | undefined): NodeJS.Timeout | undefined {
  if (ms === undefined) return undefined;
  const timer = setTimeout(() => {
    logger.error({ afterMs: ms }, 'shutdown did not finish in time; exiting');
    process.exit(1);
  }, ms);
  // The timer alone must not keep an otherwise finished process running.
  timer.unref();
  return timer;
}
