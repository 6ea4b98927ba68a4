import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { ConfigError } from '../config/config.js';
import { loadWorkerConfig } from '../config/worker-config.js';
import { createDeploymentStore, createRecoveryStore } from '../db/deployment-store.js';
import { createLogStore } from '../db/log-store.js';
import { createDatabase } from '../db/prisma-client.js';
import {
  withDeploymentStoreRetries,
  withLogStoreRetries,
} from '../db/retrying-deployment-store.js';
import { createDockerRuntime } from '../docker/docker-runtime.js';
import { createWorkerMetrics } from '../metrics/worker-metrics.js';
import { createDeploymentQueue } from '../queue/deployment-queue.js';
import { startDeploymentWorker } from '../queue/deployment-worker.js';
import { createRedisConnection } from '../queue/redis-connection.js';
import { createDeploymentRunner } from '../services/deployment-runner.js';
import { createReconciler } from '../services/reconciler.js';
import { createLogger } from './logger.js';
import { startMetricsServer } from './metrics-server.js';
import { startWebhookDelivery } from './webhook-delivery.js';
import { onShutdown } from './on-shutdown.js';

async function main(): Promise<void> {
  const config = loadWorkerConfig();
  const logger = createLogger(config.LOG_LEVEL, 'slipway-worker');
  const workerId = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  const db = createDatabase(config.DATABASE_URL);
  const redis = createRedisConnection(config.REDIS_URL, { failFast: false });
  redis.on('error', (error) => {
    logger.warn({ err: error }, 'redis connection error');
  });
  const runtime = createDockerRuntime();
  // Writes ride out a database blip (retried with back-off) instead of failing the deployment.
  const logs = withLogStoreRetries(createLogStore(db), { logger });
  const metrics = createWorkerMetrics();
  const queue = createDeploymentQueue({
    connection: redis,
    onError: (error) => {
      logger.warn({ err: error }, 'deployment queue error');
    },
  });

  const webhooks = startWebhookDelivery({ db, redis, logger, config });
  const runner = createDeploymentRunner({
    store: withDeploymentStoreRetries(createDeploymentStore(db, config.SLIPWAY_SECRET_KEY), {
      logger,
    }),
    logs,
    runtime,
    instance: config.SLIPWAY_INSTANCE,
    network: config.DEPLOY_NETWORK,
    logger,
    metrics: metrics.pipeline,
    events: webhooks.events,
    workerId,
    deploymentTimeoutSeconds: config.DEPLOYMENT_TIMEOUT_SECONDS,
  });
  const reconciler = createReconciler({
    store: createRecoveryStore(db),
    logs,
    runtime,
    instance: config.SLIPWAY_INSTANCE,
    ensureQueued: (id) => queue.ensureQueued(id),
    logger,
    lostAfterMs: config.WORKER_LOST_AFTER_SECONDS * 1000,
    requeueAfterMs: 5000,
    isRunningHere: (deploymentId) => runner.isRunning(deploymentId),
  });
  // One pass at a time: a pass that waits on slow container stops must not overlap the next.
  let reconciling = false;
  const reconcile = async () => {
    if (reconciling) return;
    reconciling = true;
    try {
      const report = await reconciler.reconcile();
      if (report.lost + report.requeued + report.orphansRemoved > 0)
        logger.info(report, 'reconciled');
    } catch (error) {
      logger.error({ err: error }, 'reconcile failed; will retry');
    } finally {
      reconciling = false;
    }
  };

  await reconcile();
  const reconcileTimer = setInterval(() => {
    void reconcile();
  }, config.RECONCILE_INTERVAL_SECONDS * 1000);
  const worker = startDeploymentWorker({
    connection: redis,
    runner,
    concurrency: config.WORKER_CONCURRENCY,
    logger,
  });
  const metricsServer =
    config.WORKER_METRICS_PORT === 0
      ? null
      : await startMetricsServer(
          metrics.registry,
          config.WORKER_METRICS_HOST,
          config.WORKER_METRICS_PORT,
        );
  logger.info(
    {
      workerId,
      concurrency: config.WORKER_CONCURRENCY,
      network: config.DEPLOY_NETWORK ?? 'bridge',
      metricsPort: config.WORKER_METRICS_PORT,
    },
    'worker started',
  );

  onShutdown(logger, async (signal) => {
    logger.info(
      {
        signal,
        active: runner.activeCount(),
        drainTimeoutSeconds: config.WORKER_DRAIN_TIMEOUT_SECONDS,
      },
      'stopping: taking no new jobs, letting running steps finish',
    );
    clearInterval(reconcileTimer);
    runner.beginShutdown(config.WORKER_DRAIN_TIMEOUT_SECONDS * 1000);
    await worker.close();
    await webhooks.close();
    await queue.close();
    await metricsServer?.close();
    await Promise.allSettled([db.$disconnect(), redis.quit()]);
  });
}

main().catch((error: unknown) => {
  process.stderr.write(
    error instanceof ConfigError
      ? `${error.message}\n`
      : `slipway-worker failed to start: ${String(error)}\n`,
  );
  process.exitCode = 1;
});
