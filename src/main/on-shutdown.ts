import type { Logger } from 'pino';

/**
 * Runs `stop` once on the first SIGTERM or SIGINT; a failure while stopping is logged and makes
 * the exit code 1. The process exits by itself once `stop` has closed everything it held open;
 * if something still holds it `forceExitAfterMs` after the signal, it is made to exit.
 */
export function onShutdown(
  logger: Logger,
  stop: (signal: string) => Promise<void>,
  options: { forceExitAfterMs: number },
): void {
  let stopping = false;
  const handle = (signal: string) => {
    if (stopping) return;
    stopping = true;
    setTimeout(() => {
      logger.error({ forceExitAfterMs: options.forceExitAfterMs }, 'still not stopped; exiting');
      process.exit(process.exitCode ?? 1);
    }, options.forceExitAfterMs).unref();
    stop(signal).then(
      () => {
        logger.info('stopped');
      },
      (error: unknown) => {
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
