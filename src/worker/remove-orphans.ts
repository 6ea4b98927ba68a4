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
    return (
      owner?.active !== true && owner?.liveWorkloadRef !== workload.ref && !kept.has(workload.ref)
    );
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
