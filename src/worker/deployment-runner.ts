import type { Logger } from 'pino';
import type { DeploymentStore } from '../pipeline/deployment-store.js';
import { runDeployment, type PipelineDependencies } from '../pipeline/run-deployment.js';
import type { StopReason } from '../pipeline/stop-reason.js';

export type RunOutcome = 'blocked' | 'finished' | 'skipped';

export interface RunnerOptions extends PipelineDependencies {
  store: DeploymentStore;
  logger: Logger;
  /** Identifies this worker process in the deployments it owns. */
  workerId: string;
  /** How often a running deployment proves its worker alive and checks for a cancel request. */
  heartbeatIntervalMs?: number;
  /** Nothing stays running longer than this (DEPLOYMENT_TIMEOUT_SECONDS). */
  deploymentTimeoutSeconds: number;
}

/**
 * What a worker does with one queued job. Claiming in PostgreSQL makes this idempotent: a job
 * delivered twice runs once, and deployments of one app run one at a time, in trigger order.
 * While a deployment runs, a heartbeat keeps its ownership fresh and notices cancel requests.
 */
export function createDeploymentRunner(options: RunnerOptions) {
  const { store, logger, workerId } = options;
  const heartbeatIntervalMs = options.heartbeatIntervalMs ?? 1000;
  const active = new Map<string, AbortController>();
  /** Claims in flight, so a job delivered twice at once is not claimed (and run) twice. */
  const claiming = new Set<string>();
  let draining = false;

  function watch(deploymentId: string, controller: AbortController): () => void {
    const abort = (reason: StopReason) => {
      if (!controller.signal.aborted) controller.abort(reason);
    };
    // One heartbeat at a time: while the database is unreachable they would otherwise pile up.
    let beating = false;
    const heartbeat = setInterval(() => {
      if (beating) return;
      beating = true;
      store
        .heartbeat(deploymentId, workerId)
        .then(
          ({ cancelRequested, owned }) => {
            if (cancelRequested) abort({ kind: 'cancel' });
            // Given up by a reconciler (e.g. after a long database outage): stop touching it.
            else if (!owned) abort({ kind: 'shutdown' });
          },
          (error: unknown) => {
            logger.warn({ err: error, deploymentId }, 'heartbeat failed; will retry');
          },
        )
        .finally(() => {
          beating = false;
        });
    }, heartbeatIntervalMs);
    const deadline = setTimeout(() => {
      abort({ kind: 'deadline', seconds: options.deploymentTimeoutSeconds });
    }, options.deploymentTimeoutSeconds * 1000);
    return () => {
      clearInterval(heartbeat);
      clearTimeout(deadline);
    };
  }

  return {
    async run(deploymentId: string): Promise<RunOutcome> {
      if (active.has(deploymentId) || claiming.has(deploymentId)) {
        logger.info({ deploymentId }, 'deployment already running here; skipping');
        return 'skipped';
      }
      claiming.add(deploymentId);
      let claim: Awaited<ReturnType<DeploymentStore['claim']>>;
      try {
        claim = await store.claim(deploymentId, workerId);
      } finally {
        claiming.delete(deploymentId);
      }
      switch (claim.outcome) {
        case 'blocked':
          return 'blocked';
        case 'not-claimable':
          logger.info({ deploymentId, status: claim.status }, 'deployment not claimable; skipping');
          return 'skipped';
        case 'claimed': {
          const controller = new AbortController();
          active.set(deploymentId, controller);
          const stopWatching = watch(deploymentId, controller);
          try {
            await runDeployment(claim.deployment, options, {
              signal: controller.signal,
              stopRequested: () => (draining ? { kind: 'shutdown' } : null),
            });
          } finally {
            stopWatching();
            active.delete(deploymentId);
          }
          return 'finished';
        }
      }
    },

    /**
     * Graceful shutdown: running steps may finish for up to drainTimeoutMs, but no further step
     * starts; after that, whatever still runs is interrupted. Either way it ends "worker shut down".
     */
    beginShutdown(drainTimeoutMs: number): void {
      draining = true;
      const timer = setTimeout(() => {
        for (const controller of active.values()) {
          if (!controller.signal.aborted)
            controller.abort({ kind: 'shutdown' } satisfies StopReason);
        }
      }, drainTimeoutMs);
      timer.unref();
    },

    activeCount: () => active.size,

    /** Whether this process is running the deployment right now (alive, whatever its heartbeat). */
    isRunning: (deploymentId: string) => active.has(deploymentId),
  };
}

export type DeploymentRunner = ReturnType<typeof createDeploymentRunner>;
