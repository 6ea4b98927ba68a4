import { formatDuration } from '../../domain/format-duration.js';
import type { LiveRelease } from '../deployment-store.js';
import type { DeploymentContext, Step, StepIo } from '../step.js';

/**
 * Retires the release the activate step replaced: waits until its in-flight requests finish (or
 * drainTimeoutSeconds passes), then stops its workload (SIGTERM, SIGKILL after
 * stopTimeoutSeconds). With retainReleases > 0 the stopped workload is kept for a rollback and
 * the app's retained workloads beyond the newest retainReleases are removed; with 0 it is
 * removed. After the commit point: a failure here leaves an orphan for the reconciler, never a
 * failed deployment.
 */
export function retireStep(): Step {
  return {
    kind: 'retire',
    label: 'retire previous release',
    source: null,
    command: null,
    async run(context, io) {
      const previous = context.previousRelease;
      if (previous === null) {
        io.log('no previous release to retire');
        await pruneRetained(context, io);
        return undefined;
      }
      await drainPrevious(context, io);
      const { engine } = context;
      const what = `previous release ${previous.deploymentId} (${engine.web.describe(previous.workloadRef)})`;
      if ((await engine.web.health(previous.workloadRef)) === 'missing') {
        io.log(`${what} was already gone`);
      } else {
        await stopPrevious(context, io, previous, what);
      }
      await pruneRetained(context, io);
      return undefined;
    },
  };
}

async function stopPrevious(
  context: DeploymentContext,
  io: StepIo,
  previous: LiveRelease,
  what: string,
): Promise<void> {
  const { engine, deployment, store } = context;
  const { stopTimeoutSeconds, retainReleases } = deployment.settings.webContainer;
  const started = performance.now();
  const signals = `SIGTERM, SIGKILL after ${stopTimeoutSeconds} s`;
  if (retainReleases === 0) {
    await engine.web.retire(previous.workloadRef, { stopTimeoutSeconds });
    io.log(`stopped and removed ${what} in ${elapsed(started)} (${signals}); retainReleases 0`);
    return;
  }
  // Recorded before it is stopped: the reconciler never removes a workload recorded as kept.
  await store.retainRelease(deployment.applicationId, previous);
  await engine.web.stop(previous.workloadRef, { stopTimeoutSeconds });
  io.log(`stopped ${what} in ${elapsed(started)} (${signals}); kept for a rollback`);
}

/** Removes the app's retained workloads beyond the newest retainReleases, and says what it kept. */
async function pruneRetained(context: DeploymentContext, io: StepIo): Promise<void> {
  const { engine, deployment, store } = context;
  const { retainReleases, stopTimeoutSeconds } = deployment.settings.webContainer;
  const retained = await store.retainedReleases(deployment.applicationId);
  const kept = retained.slice(0, retainReleases);
  for (const old of retained.slice(retainReleases)) {
    await engine.web.retire(old.workloadRef, { stopTimeoutSeconds });
    await store.forgetRetained(old.workloadRef);
    io.log(
      `removed retained release ${old.deploymentId} (${engine.web.describe(old.workloadRef)}): beyond retainReleases ${retainReleases}`,
    );
  }
  if (kept.length > 0) {
    io.log(
      `keeping ${kept.length} retained release(s) for rollback (retainReleases ${retainReleases}): ` +
        kept.map((r) => `${r.deploymentId} (${engine.web.describe(r.workloadRef)})`).join(', '),
    );
  }
}

function elapsed(started: number): string {
  return formatDuration(Math.round(performance.now() - started));
}

async function drainPrevious(context: DeploymentContext, io: StepIo): Promise<void> {
  const router = context.engine.router;
  if (router === null) return;
  const { drainTimeoutSeconds } = context.deployment.settings.webContainer;
  const result = await router.drain(context.deployment.applicationId, {
    timeoutMs: drainTimeoutSeconds * 1000,
  });
  const drained = result.inFlightAtStart - result.inFlightAtEnd;
  io.log(
    `drained ${drained} in-flight request(s) in ${formatDuration(result.elapsedMs)}` +
      (result.inFlightAtEnd === 0
        ? ''
        : `; ${result.inFlightAtEnd} still in flight after drainTimeoutSeconds (${drainTimeoutSeconds} s) are cut off`),
  );
}
