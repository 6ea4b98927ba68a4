import type { Logger } from 'pino';
import { describeStepMoment } from '../domain/step-kinds.js';
import type { Inventory, WebBackend, WorkloadHealth } from '../engine/engine.js';
import type { IngressSyncReport } from '../ingress/ingress-controller.js';
import type { LogStore, RecoveryStore } from '../pipeline/deployment-store.js';
import { checkLiveReleases } from './live-release-health.js';
import { removeOrphans } from './remove-orphans.js';

export interface ReconcilerOptions {
  store: RecoveryStore;
  logs: LogStore;
  /** What this installation owns on its engine; nothing else is ever touched. */
  inventory: Inventory;
  /** The live releases' workloads: checked, and started again when they stopped. */
  web: Pick<WebBackend, 'health' | 'revive' | 'describe'>;
  /** Live releases by health after each pass, for monitoring. */
  onReleaseHealth?: (counts: Record<WorkloadHealth, number>) => void;
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
  /**
   * The ingress, converged to the database after the other repairs (a release found missing
   * there answers 503 in the same pass). Absent when the ingress is off.
   */
  ingress?: { sync(): Promise<IngressSyncReport> } | null;
}

export interface ReconcileReport {
  lost: number;
  requeued: number;
  orphansRemoved: number;
  /** Live releases found stopped and started again. */
  revived: number;
  /** Live releases whose workload is gone: nothing serves the app until the next deployment. */
  missing: number;
  /** What the ingress sync changed; null when the ingress is off or its sync failed. */
  ingress: IngressSyncReport | null;
}

/**
 * PostgreSQL is the source of truth; this brings the world back in line with it after crashes:
 * deployments of dead workers are ended (never re-run), queued rows missing from Redis are
 * re-enqueued, and containers no deployment or release owns are removed.
 */
export function createReconciler(options: ReconcilerOptions) {
  const { store, inventory, logger } = options;

  async function endLostDeployments(): Promise<number> {
    const staleBefore = new Date(Date.now() - options.lostAfterMs);
    let ended = 0;
    for (const lost of await store.findLost(staleBefore)) {
      if (options.isRunningHere?.(lost.id) === true) continue;
      const when =
        lost.runningStep === null
          ? 'between steps'
          : describeStepMoment('during', lost.runningStep);
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
      const removed = lost.isLive ? 0 : await removeWorkloadsOf(lost.id);
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

  async function removeWorkloadsOf(deploymentId: string): Promise<number> {
    const workloads = await inventory.list({ deploymentId });
    for (const workload of workloads) await inventory.remove(workload.ref);
    return workloads.length;
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

  return {
    /** Every repair runs even when an earlier one failed; the first failure is thrown at the end. */
    async reconcile(): Promise<ReconcileReport> {
      const failures: unknown[] = [];
      const attempt = async <T>(repair: () => Promise<T>, none: T): Promise<T> => {
        try {
          return await repair();
        } catch (error) {
          failures.push(error);
          return none;
        }
      };
      const lost = await attempt(endLostDeployments, 0);
      const requeued = await attempt(requeueMissing, 0);
      const orphansRemoved = await attempt(() => removeOrphans(options), 0);
      const { revived, missing } = await attempt(() => checkLiveReleases(options), {
        revived: 0,
        missing: 0,
      });
      const ingress = options.ingress ?? null;
      const synced = ingress === null ? null : await attempt(() => ingress.sync(), null);
      if (failures.length > 0) throw failures[0];
      return { lost, requeued, orphansRemoved, revived, missing, ingress: synced };
    },
  };
}

export type Reconciler = ReturnType<typeof createReconciler>;
