import { DelayedError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { DeploymentRunner } from '../worker/deployment-runner.js';
import { deploymentQueueName, type DeploymentJobData } from './deployment-queue.js';
import { classifyWorkerError } from './worker-errors.js';

export interface DeploymentWorkerOptions {
  connection: Redis;
  runner: DeploymentRunner;
  concurrency: number;
  logger: Logger;
  prefix?: string;
  /** How long a job waits before retrying when an earlier deployment of its app is still active. */
  blockedRetryMs?: number;
}

/** BullMQ glue only: the decisions are made by the runner. */
export function startDeploymentWorker(options: DeploymentWorkerOptions) {
  const blockedRetryMs = options.blockedRetryMs ?? 500;
  const worker = new Worker<DeploymentJobData>(
    deploymentQueueName,
    async (job, token) => {
      const outcome = await options.runner.run(job.data.deploymentId);
      if (outcome === 'blocked') {
        // Re-queue behind a short delay without occupying a concurrency slot meanwhile.
        await job.moveToDelayed(Date.now() + blockedRetryMs, token);
        throw new DelayedError();
      }
      return outcome;
    },
    {
      connection: options.connection,
      concurrency: options.concurrency,
      ...(options.prefix === undefined ? {} : { prefix: options.prefix }),
    },
  );
  /** An expected recovery is one warn line; true when the error was one. */
  const warnedAsRecovery = (error: Error): boolean => {
    const known = classifyWorkerError(error);
    if (known.level !== 'warn') return false;
    options.logger.warn({ deploymentId: known.deploymentId, reason: error.message }, known.message);
    return true;
  };
  worker.on('failed', (job, error) => {
    if (warnedAsRecovery(error)) return;
    options.logger.error(
      { err: error, deploymentId: job?.data.deploymentId },
      'deployment job failed',
    );
  });
  worker.on('error', (error) => {
    if (warnedAsRecovery(error)) return;
    options.logger.error({ err: error }, 'worker error');
  });
  return {
    worker,
    /** Stops taking jobs and waits for the running ones to finish. */
    close: () => worker.close(),
  };
}
