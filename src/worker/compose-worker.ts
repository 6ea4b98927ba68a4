/**
 * The worker, wired once: the deployment store and log store behind their retry wrappers, the
 * runner, the reconciler and the BullMQ consumer. The worker process, the in-process test
 * harness and the secret-canary test all build their worker here.
 */
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { createDeploymentStore, createRecoveryStore } from '../db/deployment-store.js';
import { createLogStore } from '../db/log-store.js';
import type { Database } from '../db/prisma-client.js';
import type { RetryPolicy } from '../db/retry.js';
import {
  withDeploymentStoreRetries,
  withLogStoreRetries,
} from '../db/retrying-deployment-store.js';
import type { Engine, TrafficRouter, WorkloadHealth } from '../engine/engine.js';
import type { IngressSyncReport } from '../ingress/ingress-controller.js';
import type { DeploymentEvents } from '../pipeline/deployment-events.js';
import type { PipelineDependencies, PipelineMetrics } from '../pipeline/run-deployment.js';
import { createDeploymentQueue } from '../queue/deployment-queue.js';
import { startDeploymentWorker } from '../queue/deployment-worker.js';
import { createDeploymentRunner } from './deployment-runner.js';
import { createReconciler, type ReconcileReport } from './reconciler.js';

export interface WorkerCompositionOptions {
  db: Database;
  /** The worker's own connection: BullMQ consumers block on it. */
  redis: Redis;
  engine: Engine;
  /**
   * The ingress (HAProxy) the pipeline switches traffic with and the reconciler converges; null
   * when it is off (the engine's own router, if any, is used then).
   */
  ingress?: { router: TrafficRouter; sync(): Promise<IngressSyncReport> } | null;
  /** SLIPWAY_SECRET_KEY, to open the secrets a deployment runs with. */
  secretKey: Buffer;
  logger: Logger;
  workerId: string;
  concurrency: number;
  deploymentTimeoutSeconds: number;
  lostAfterSeconds: number;
  reconcileIntervalSeconds: number;
  /** SLIPWAY_BASE_DOMAIN: each app's default hostname (the probe's Host header, the routes). */
  baseDomain?: string | null;
  /** BullMQ key prefix (SLIPWAY_QUEUE_PREFIX); the API must use the same. */
  queuePrefix?: string | undefined;
  metrics?: PipelineMetrics;
  /** Told as deployments run (webhook deliveries). */
  events?: DeploymentEvents;
  /** Live releases by health after each reconcile pass. */
  onReleaseHealth?: (counts: Record<WorkloadHealth, number>) => void;
  heartbeatIntervalMs?: number;
  logLimits?: PipelineDependencies['logLimits'];
  blockedRetryMs?: number;
  /** How the worker's database writes are retried (tests shorten it). */
  retryPolicy?: RetryPolicy;
}

export function composeWorker(options: WorkerCompositionOptions) {
  const { db, logger } = options;
  const ingress = options.ingress ?? null;
  const engine: Engine =
    ingress === null ? options.engine : { ...options.engine, router: ingress.router };
  const retry = {
    logger,
    ...(options.retryPolicy === undefined ? {} : { policy: options.retryPolicy }),
  };
  // Writes ride out a database blip (retried with back-off) instead of failing the deployment.
  const store = withDeploymentStoreRetries(
    createDeploymentStore(db, options.secretKey, options.baseDomain ?? null),
    retry,
  );
  const logs = withLogStoreRetries(createLogStore(db), retry);
  const prefix = options.queuePrefix === undefined ? {} : { prefix: options.queuePrefix };
  const queue = createDeploymentQueue({
    connection: options.redis,
    ...prefix,
    onError: (error) => {
      logger.warn({ err: error }, 'deployment queue error');
    },
  });
  const runner = createDeploymentRunner({
    store,
    logs,
    engine,
    logger,
    workerId: options.workerId,
    deploymentTimeoutSeconds: options.deploymentTimeoutSeconds,
    ...(options.metrics === undefined ? {} : { metrics: options.metrics }),
    ...(options.events === undefined ? {} : { events: options.events }),
    ...(options.logLimits === undefined ? {} : { logLimits: options.logLimits }),
    ...(options.heartbeatIntervalMs === undefined
      ? {}
      : { heartbeatIntervalMs: options.heartbeatIntervalMs }),
  });
  const reconciler = createReconciler({
    store: createRecoveryStore(db),
    logs,
    inventory: engine.inventory,
    web: engine.web,
    ingress,
    ...(options.onReleaseHealth === undefined ? {} : { onReleaseHealth: options.onReleaseHealth }),
    ensureQueued: (id) => queue.ensureQueued(id),
    logger,
    lostAfterMs: options.lostAfterSeconds * 1000,
    requeueAfterMs: 5000,
    isRunningHere: (deploymentId) => runner.isRunning(deploymentId),
  });

  // One pass at a time: a pass that waits on slow container stops must not overlap the next.
  let reconciling: Promise<ReconcileReport | null> | null = null;
  function reconcileOnce(): Promise<ReconcileReport | null> {
    reconciling ??= reconciler
      .reconcile()
      .then(
        (report) => {
          if (repaired(report) > 0) {
            logger.info(report, 'reconciled');
          }
          return report;
        },
        (error: unknown) => {
          logger.error({ err: error }, 'reconcile failed; will retry');
          return null;
        },
      )
      .finally(() => {
        reconciling = null;
      });
    return reconciling;
  }

  let timer: NodeJS.Timeout | null = null;
  let consumer: ReturnType<typeof startDeploymentWorker> | null = null;
  return {
    runner,
    reconcileOnce,
    /** One reconcile pass, then the periodic passes and the queue consumer. */
    async start(start: { reconcile: boolean } = { reconcile: true }): Promise<void> {
      if (start.reconcile) {
        await reconcileOnce();
        timer = setInterval(() => {
          void reconcileOnce();
        }, options.reconcileIntervalSeconds * 1000);
      }
      consumer = startDeploymentWorker({
        connection: options.redis,
        runner,
        concurrency: options.concurrency,
        logger,
        ...prefix,
        ...(options.blockedRetryMs === undefined ? {} : { blockedRetryMs: options.blockedRetryMs }),
      });
    },
    /**
     * Takes no new jobs; running steps may finish for drainTimeoutMs, then are interrupted. Resolves
     * once every running deployment has ended.
     */
    async stop(drainTimeoutMs: number): Promise<void> {
      if (timer !== null) clearInterval(timer);
      runner.beginShutdown(drainTimeoutMs);
      await consumer?.close();
      await reconciling;
      await queue.close();
    },
  };
}

export type ComposedWorker = ReturnType<typeof composeWorker>;

/** Repairs a pass made: worth a log line. */
function repaired(report: ReconcileReport): number {
  const ingress = report.ingress;
  const ingressChanges =
    ingress === null
      ? 0
      : ingress.mapChanges +
        ingress.slotChanges +
        ingress.drainsFinished +
        (ingress.reloaded ? 1 : 0);
  return report.lost + report.requeued + report.orphansRemoved + report.revived + ingressChanges;
}
