import { formatDuration } from '../../domain/format-duration.js';
import type { DeploymentContext, Step, StepIo } from '../step.js';

/**
 * Retires the release the activate step replaced: waits until its in-flight requests finish (or
 * drainTimeoutSeconds passes), then stops its workload (SIGTERM, SIGKILL after
 * stopTimeoutSeconds) and removes it. After the commit point: a failure here leaves an orphan
 * for the reconciler, never a failed deployment.
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
        return undefined;
      }
      await drainPrevious(context, io);
      const { engine } = context;
      const what = `previous release ${previous.deploymentId} (${engine.web.describe(previous.workloadRef)})`;
      if ((await engine.web.health(previous.workloadRef)) === 'missing') {
        io.log(`${what} was already gone`);
        return undefined;
      }
      const { stopTimeoutSeconds } = context.deployment.settings.webContainer;
      const started = performance.now();
      await engine.web.retire(previous.workloadRef, { stopTimeoutSeconds });
      io.log(
        `stopped and removed ${what} in ${formatDuration(Math.round(performance.now() - started))} (SIGTERM, SIGKILL after ${stopTimeoutSeconds} s)`,
      );
      return undefined;
    },
  };
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
