import type { WorkloadHealth } from '../engine/engine.js';
import type { ReconcilerOptions } from './reconciler.js';

/**
 * A live release stopped or removed outside Slipway (docker kill, docker rm, a host restart
 * without restart policy) is noticed here: a stopped one is started again, a missing one is
 * reported (its release stays recorded, with health "missing", until a deployment replaces it).
 */
export async function checkLiveReleases(
  options: Pick<ReconcilerOptions, 'store' | 'web' | 'logger' | 'onReleaseHealth'>,
): Promise<{ revived: number; missing: number }> {
  const { store, logger } = options;
  const counts: Record<WorkloadHealth, number> = { running: 0, exited: 0, missing: 0 };
  let revived = 0;
  for (const release of await store.liveReleases()) {
    let health = await options.web.health(release.workloadRef);
    const what = { deploymentId: release.deploymentId, workloadRef: release.workloadRef };
    const stopped = health === 'exited';
    if (stopped) {
      logger.warn(
        what,
        `live release ${options.web.describe(release.workloadRef)} had stopped; starting it again`,
      );
      await options.web.revive(release.workloadRef);
      health = await options.web.health(release.workloadRef);
      if (health === 'running') revived += 1;
    }
    if (health === 'missing' && release.health !== 'missing') {
      logger.error(
        what,
        `live release ${options.web.describe(release.workloadRef)} is gone: the app has nothing serving it until it is deployed again`,
      );
    }
    counts[health] += 1;
    // Written when there is news; a healthy release that stayed healthy costs no write.
    if (stopped || health !== release.health || health !== 'running') {
      await store.recordReleaseHealth(release.applicationId, release.workloadRef, health);
    }
  }
  options.onReleaseHealth?.(counts);
  return { revived, missing: counts.missing };
}
