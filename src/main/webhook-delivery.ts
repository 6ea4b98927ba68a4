import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { WorkerConfig } from '../config/worker-config.js';
import { createDeploymentRepository } from '../db/deployment-repository.js';
import type { Database } from '../db/prisma-client.js';
import { createWebhookRepository } from '../db/webhook-repository.js';
import { createWebhookQueue, startWebhookQueueWorker } from '../queue/webhook-queue.js';
import { createWebhookDeliverer } from '../services/webhook-deliverer.js';
import { createWebhookDeploymentEvents } from '../services/webhook-deployment-events.js';
import { createWebhookDispatcher } from '../services/webhook-dispatcher.js';
import { sendWebhook } from '../webhooks/send-webhook.js';

/** Deliveries due longer than this without an attempt have lost their job: the sweep re-asks. */
const sweepGraceMs = 2000;
const sweepBatch = 200;

/**
 * The worker's webhook side: `events` (for the pipeline) records deployment events as
 * deliveries, a queue consumer of its own attempts them, and a periodic sweep re-queues due
 * deliveries whose job Redis lost.
 */
export function startWebhookDelivery(options: {
  db: Database;
  redis: Redis;
  logger: Logger;
  config: Pick<
    WorkerConfig,
    | 'SLIPWAY_SECRET_KEY'
    | 'SLIPWAY_WEBHOOK_ALLOW_PRIVATE'
    | 'WEBHOOK_CONCURRENCY'
    | 'WEBHOOK_TIMEOUT_SECONDS'
    | 'WEBHOOK_RETRY_BASE_MS'
    | 'RECONCILE_INTERVAL_SECONDS'
  >;
  queuePrefix?: string;
}) {
  const { db, redis, logger, config } = options;
  const prefix = options.queuePrefix === undefined ? {} : { prefix: options.queuePrefix };
  const repository = createWebhookRepository(db);
  const queue = createWebhookQueue({
    connection: redis,
    ...prefix,
    onError: (error) => {
      logger.warn({ err: error }, 'webhook queue error');
    },
  });
  const deliver = createWebhookDeliverer({
    repository,
    secretKey: config.SLIPWAY_SECRET_KEY,
    send: (request) =>
      sendWebhook({ ...request, allowPrivate: config.SLIPWAY_WEBHOOK_ALLOW_PRIVATE }),
    schedule: queue.schedule,
    logger,
    timeoutMs: config.WEBHOOK_TIMEOUT_SECONDS * 1000,
    retryBaseMs: config.WEBHOOK_RETRY_BASE_MS,
  });
  const consumer = startWebhookQueueWorker({
    connection: redis,
    ...prefix,
    concurrency: config.WEBHOOK_CONCURRENCY,
    deliver,
    logger,
  });
  const deploymentRepository = createDeploymentRepository(db);
  const events = createWebhookDeploymentEvents({
    findDeployment: (id) => deploymentRepository.findById(id),
    applicationIdOf: (id) => repository.applicationIdOf(id),
    dispatch: createWebhookDispatcher({ repository, schedule: queue.schedule, logger }),
    logger,
  });

  let sweeping = false;
  const sweep = async () => {
    if (sweeping) return;
    sweeping = true;
    try {
      const due = await repository.due(new Date(Date.now() - sweepGraceMs), sweepBatch);
      for (const delivery of due) await queue.schedule(delivery.id, 0);
    } catch (error) {
      logger.warn({ err: error }, 'webhook sweep failed; will retry');
    } finally {
      sweeping = false;
    }
  };
  const timer = setInterval(() => {
    void sweep();
  }, config.RECONCILE_INTERVAL_SECONDS * 1000);

  return {
    events,
    async close() {
      clearInterval(timer);
      await events.idle();
      await consumer.close();
      await queue.close();
    },
  };
}
