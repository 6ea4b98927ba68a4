import type { ReconcilerOptions } from './reconciler.js';

/** Removes the workloads of this installation that no active deployment or live release owns. */
export async function removeOrphans(
  options: Pick<ReconcilerOptions, 'store' | 'inventory' | 'logger'>,
): Promise<number> {
  const { store, inventory, logger } = options;
  const workloads = await inventory.list();
  const owners = await store.workloadOwnership([
    ...new Set(workloads.flatMap((w) => (w.deploymentId === null ? [] : [w.deploymentId]))),
  ]);
  const orphans = workloads.filter((workload) => {
    const owner = owners.get(workload.deploymentId ?? '');
    if (owner?.active === true) return false;
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
