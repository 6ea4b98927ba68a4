import { randomBytes } from 'node:crypto';
import { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';

export const webhookQueueName = 'webhook-deliveries';

interface WebhookJobData {
  deliveryId: string;
}

export interface WebhookQueue {
  /** Asks for an attempt at delivery `deliveryId` in `delayMs`. Duplicates are harmless. */
  schedule: (deliveryId: string, delayMs: number) => Promise<void>;
  close: () => Promise<void>;
}

export function createWebhookQueue(options: {
  connection: Redis;
  prefix?: string;
  onError: (error: Error) => void;
}): WebhookQueue {
  let queue: Queue<WebhookJobData> | undefined;
  const getQueue = () => {
    if (queue === undefined) {
      queue = new Queue<WebhookJobData>(webhookQueueName, {
        connection: options.connection,
        ...(options.prefix === undefined ? {} : { prefix: options.prefix }),
      });
      queue.on('error', options.onError);
    }
    return queue;
  };
  return {
    async schedule(deliveryId, delayMs) {
      // PostgreSQL decides whether an attempt is due (the delivery is claimed there), so each
      // request is its own job and a lost one is repaired by the sweep.
      await getQueue().add(
        'deliver',
        { deliveryId },
        {
          jobId: `${deliveryId}-${randomBytes(4).toString('hex')}`,
          delay: Math.max(0, Math.round(delayMs)),
          attempts: 1,
          removeOnComplete: true,
          removeOnFail: { count: 1000 },
        },
      );
    },
    async close() {
      await queue?.close();
    },
  };
}

/** Consumes delivery jobs with its own concurrency: slow receivers never hold deployments up. */
export function startWebhookQueueWorker(options: {
  connection: Redis;
  prefix?: string;
  concurrency: number;
  deliver: (deliveryId: string) => Promise<void>;
  logger: Logger;
}): { close(): Promise<void> } {
  const worker = new Worker<WebhookJobData>(
    webhookQueueName,
    async (job) => {
      await options.deliver(job.data.deliveryId);
    },
    {
      connection: options.connection,
      concurrency: options.concurrency,
      ...(options.prefix === undefined ? {} : { prefix: options.prefix }),
    },
  );
  worker.on('error', (error) => {
    options.logger.warn({ err: error }, 'webhook queue error');
  });
  worker.on('failed', (job, error) => {
    options.logger.warn({ err: error, deliveryId: job?.data.deliveryId }, 'webhook job failed');
  });
  return {
    async close() {
      await worker.close();
    },
  };
}
