import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { DeploymentQueue } from '../services/ports.js';

export const deploymentQueueName = 'deployments';

export interface DeploymentJobData {
  deploymentId: string;
}

export interface QueueOptions {
  connection: Redis;
  /** Key prefix; tests use their own so parallel files never share a queue. */
  prefix?: string;
  /** Connection trouble is reported here (BullMQ would otherwise print it to stderr). */
  onError: (error: Error) => void;
  /**
   * Refuse to enqueue at once while the connection is down (the API: answer 503 now). Without
   * it, a queue first used while Redis reconnects waits for Redis to come back, however long.
   */
  failFast?: boolean;
}

/** Connection states after a connection was lost (not the first connect, which is brief). */
const lostStatuses = new Set(['reconnecting', 'close', 'end']);

/** Raised instead of waiting when failFast is set and Redis is not connected. */
export class QueueUnavailableError extends Error {
  constructor(status: string) {
    super(`the job queue's Redis connection is not ready (${status})`);
    this.name = 'QueueUnavailableError';
  }
}

export interface ManagedDeploymentQueue extends DeploymentQueue {
  /** Adds a job unless one is waiting, delayed or active; true when it added one. */
  ensureQueued: (deploymentId: string) => Promise<boolean>;
  waitingCount: () => Promise<number>;
  close: () => Promise<void>;
}

export function createDeploymentQueue(options: QueueOptions): ManagedDeploymentQueue {
  // Created on first use, so a process that never enqueues (e.g. rendering the OpenAPI document)
  // never talks to Redis.
  let queue: Queue<DeploymentJobData> | undefined;
  const getQueue = () => {
    if (queue === undefined) {
      queue = new Queue<DeploymentJobData>(deploymentQueueName, {
        connection: options.connection,
        ...(options.prefix === undefined ? {} : { prefix: options.prefix }),
      });
      queue.on('error', options.onError);
    }
    return queue;
  };

  async function enqueue(deploymentId: string): Promise<void> {
    const status = options.connection.status;
    if (options.failFast === true && lostStatuses.has(status)) {
      throw new QueueUnavailableError(status);
    }
    // The deployment id doubles as the job id, so a repeated enqueue never creates a second job.
    await getQueue().add(
      'deploy',
      { deploymentId },
      {
        jobId: deploymentId,
        attempts: 1,
        removeOnComplete: { age: 24 * 3600, count: 1000 },
        removeOnFail: { age: 7 * 24 * 3600, count: 5000 },
      },
    );
  }

  return {
    enqueue,
    async ensureQueued(deploymentId) {
      const job = await getQueue().getJob(deploymentId);
      if (job !== undefined) {
        const state = await job.getState();
        if (state !== 'completed' && state !== 'failed' && state !== 'unknown') return false;
        // A finished job for a row still queued can only be stale: replace it.
        await job.remove();
      }
      await enqueue(deploymentId);
      return true;
    },
    waitingCount: () => getQueue().getWaitingCount(),
    close: async () => {
      await queue?.close();
    },
  };
}
