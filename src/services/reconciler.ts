import type { Logger } from 'pino';
import { labelKeys } from '../pipeline/container-labels.js';
import type { ContainerRuntime } from '../pipeline/container-runtime.js';
import type { LogStore, RecoveryStore } from '../pipeline/deployment-store.js';

export interface ReconcilerOptions {
  store: RecoveryStore;
  logs: LogStore;
  runtime: ContainerRuntime;
  /** Only containers of this installation (SLIPWAY_INSTANCE) are ever touched. */
  instance: string;
  /** Makes sure a queued deployment has a job (no-op when it has one). */
  ensureQueued: (deploymentId: string) => Promise<boolean>;
  logger: Logger;
  /** A running deployment whose worker was silent this long is considered lost. */
  lostAfterMs: number;
  /** A queued row younger than this may still be on its way into the queue (API mid-trigger). */
  requeueAfterMs: number;
  /**
   * Deployments this process is running right now: never lost, even when their heartbeat is stale
   * because the database was unreachable for a while (the worker is alive and will carry on).
   */
  isRunningHere?: (deploymentId: string) => boolean;
}

export interface ReconcileReport {
  lost: number;
  requeued: number;
  orphansRemoved: number;
}

const stepKindNames = {
  pull: 'pull',
  release_command: 'release command',
  start: 'start',
  probe: 'startup probe',
  activate: 'activate',
} as const;

/**
 * PostgreSQL is the source of truth; this brings the world back in line with it after crashes:
 * deployments of dead workers are ended (never re-run), queued rows missing from Redis are
 * re-enqueued, and containers no deployment or release owns are removed.
 */
export function createReconciler(options: ReconcilerOptions) {
  const { store, runtime, logger } = options;

  async function endLostDeployments(): Promise<number> {
    const staleBefore = new Date(Date.now() - options.lostAfterMs);
    let ended = 0;
    for (const lost of await store.findLost(staleBefore)) {
      if (options.isRunningHere?.(lost.id) === true) continue;
      const when =
        lost.runningStep === null
          ? 'between steps'
          : lost.runningStep.kind === 'release_command'
            ? `during release command '${lost.runningStep.label}'`
            : `during step ${stepKindNames[lost.runningStep.kind]}`;
      const reason = `worker lost ${when}`;
      const done = await store.endLost(
        lost,
        staleBefore,
        lost.isLive
          ? { status: 'succeeded', reason: null, stepError: '' }
          : { status: 'failed', reason, stepError: 'worker lost' },
      );
      if (!done) continue;
      ended += 1;
      const removed = lost.isLive ? 0 : await removeContainersOf(lost.id, null);
      const note = lost.isLive
        ? `${reason}, after the release went live: the deployment counts as succeeded`
        : `${reason}; removed ${removed} container(s) of this deployment; the previous release was left untouched; release commands are not re-run`;
      await options.logs.append([
        { deploymentId: lost.id, stepId: null, part: 'head', text: `${note}\n` },
      ]);
      logger.warn({ deploymentId: lost.id, reason }, 'ended a deployment whose worker was lost');
    }
    return ended;
  }

  async function removeContainersOf(deploymentId: string, keep: string | null): Promise<number> {
    const containers = await runtime.listContainers({
      [labelKeys.instance]: options.instance,
      [labelKeys.deployment]: deploymentId,
    });
    let removed = 0;
    for (const container of containers) {
      if (container.id === keep) continue;
      await runtime.removeContainer(container.id);
      removed += 1;
    }
    return removed;
  }

  async function requeueMissing(): Promise<number> {
    const before = new Date(Date.now() - options.requeueAfterMs);
    let requeued = 0;
    for (const id of await store.findQueued(before)) {
      if (await options.ensureQueued(id)) {
        requeued += 1;
        logger.warn({ deploymentId: id }, 're-enqueued a queued deployment that had no job');
      }
    }
    return requeued;
  }

  async function removeOrphans(): Promise<number> {
    const containers = await runtime.listContainers({
      [labelKeys.managed]: 'true',
      [labelKeys.instance]: options.instance,
    });
    const owners = await store.containerOwnership([
      ...new Set(
        containers.map((c) => c.labels[labelKeys.deployment] ?? '').filter((id) => id !== ''),
      ),
    ]);
    const orphans = containers.filter((container) => {
      const owner = owners.get(container.labels[labelKeys.deployment] ?? '');
      return owner?.active !== true && owner?.liveContainerId !== container.id;
    });
    // Side by side: each removal may wait out a stop grace period, and a pass must stay short,
    // as the next one (which notices lost workers) waits for it.
    const results = await Promise.allSettled(
      orphans.map(async (container) => {
        await runtime.removeContainer(container.id);
        logger.info(
          { containerId: container.id, labels: container.labels },
          'removed orphaned container',
        );
      }),
    );
    const failure = results.find((result) => result.status === 'rejected');
    if (failure !== undefined) throw failure.reason;
    return orphans.length;
  }

  return {
    async reconcile(): Promise<ReconcileReport> {
      const lost = await endLostDeployments();
      const requeued = await requeueMissing();
      const orphansRemoved = await removeOrphans();
      return { lost, requeued, orphansRemoved };
    },
  };
}

export type Reconciler = ReturnType<typeof createReconciler>;
