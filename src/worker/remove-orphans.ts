import type { ReconcilerOptions } from './reconciler.js';

/**
 * Removes the workloads of this installation that no active deployment, live release or retained
 * release owns, and forgets retained releases whose workload is gone.
 */
export async function removeOrphans(
  options: Pick<ReconcilerOptions, 'store' | 'inventory' | 'logger'>,
): Promise<number> {
  const { store, inventory, logger } = options;
  const workloads = await inventory.list();
  const forgotten = await store.forgetRetainedExcept(workloads.map((w) => w.ref));
  if (forgotten > 0) {
    logger.warn({ count: forgotten }, 'forgot retained releases whose workload is gone');
  }
  const [owners, kept] = await Promise.all([
    store.workloadOwnership([
      ...new Set(workloads.flatMap((w) => (w.deploymentId === null ? [] : [w.deploymentId]))),
    ]),
    // Read after the inventory: a workload kept by then is in this set.
    store.keptWorkloadRefs(),
  ]);
  const orphans = workloads.filter((workload) => {
    const owner = owners.get(workload.deploymentId ?? '');
    if (owner?.active === true) return false;
    // Kept for a rollback: a retained release names its workload, or the set it is one of.
    if (kept.has(workload.ref) || (workload.setRef !== undefined && kept.has(workload.setRef))) {
      return false;
    }
    const live = owner?.liveWorkloadRef ?? null;
    // A live release names its workload, or the set it is one replica of.
    return live === null || (live !== workload.ref && live !== workload.setRef);
  });
  // Side by side: each removal may wait out a stop grace period, and a pass must stay short,
  // as the next one (which notices lost workers) waits for it.
  const results = await Promise.allSettled(
    orphans.map(async (workload) => {
      await inventory.remove(workload.ref);
      logger.info(
        { workloadRef: workload.ref, deploymentId: workload.deploymentId },
        'removed orphaned workload',
      );
    }),
  );
  const failure = results.find((result) => result.status === 'rejected');
  if (failure !== undefined) throw failure.reason;
  return orphans.length;
}
