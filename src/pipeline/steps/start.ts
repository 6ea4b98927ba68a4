import type { Candidate } from '../../engine/engine.js';
import { envFingerprint } from '../env-fingerprint.js';
import { required, type DeploymentContext, type Step, type StepIo } from '../step.js';
import { chooseWebPort } from '../web-port.js';

/**
 * Starts the candidate release. Its preflight works out the web port once the image is known,
 * so a release that could never start fails before any release command changes anything. A
 * rollback starts its target's retained workload again when there is one it may reuse.
 */
export function startStep(): Step {
  /** Set when the candidate is a retained workload started again: undo stops it, keeps it. */
  let restarted = false;
  return {
    kind: 'start',
    label: 'start web container',
    source: null,
    command: null,
    preflight(context) {
      const image = required(context.image, 'the pulled image');
      const choice = chooseWebPort(
        context.deployment.settings.webContainer.port,
        image.exposedTcpPorts,
      );
      if (!choice.ok) return choice.error;
      context.webPort = choice;
      return null;
    },
    async run(context, io) {
      const image = required(context.image, 'the pulled image');
      const webPort = required(context.webPort, 'the web port');
      if (io.signal.aborted) throw io.interrupted('start web container');
      io.log(
        `web port ${webPort.port} (from ${webPort.source === 'settings' ? 'app settings' : 'image EXPOSE'})`,
      );
      const retained = await restartRetained(context, io, webPort.port);
      restarted = retained !== null;
      const candidate =
        retained ??
        (await context.engine.web.start({
          owner: { app: context.deployment.app, deploymentId: context.deployment.id },
          imageId: image.id,
          env: { ...context.env, PORT: String(webPort.port) },
          port: webPort.port,
          resources: context.deployment.settings.resources,
          replicas: context.deployment.settings.webContainer.replicas,
        }));
      context.candidate = candidate;
      io.log(candidate.description);
      return undefined;
    },
    async undo(context) {
      const candidate = context.candidate;
      if (candidate === null) return { removedWorkloads: 0 };
      context.candidate = null;
      if (restarted) {
        // Back to what it was: stopped and retained, for the next rollback.
        const { stopTimeoutSeconds } = context.deployment.settings.webContainer;
        await context.engine.web.stop(candidate.ref, { stopTimeoutSeconds });
        return { removedWorkloads: 0 };
      }
      await context.engine.web.abandon(candidate.ref);
      return { removedWorkloads: candidate.endpoints.length };
    },
  };
}

/** For a rollback: its target's retained workload started again, or null to create a new one. */
async function restartRetained(
  context: DeploymentContext,
  io: StepIo,
  port: number,
): Promise<Candidate | null> {
  const target = context.deployment.rollback;
  if (target === null) return null;
  const retained = await context.store.retainedRelease(target.deploymentId);
  if (retained === null) {
    io.log('no retained container of the target release: creating one from its image');
    return null;
  }
  const { web } = context.engine;
  const what = web.describe(retained.workloadRef);
  const wanted = envFingerprint({ env: context.deployment.env, app: context.deployment.app, port });
  if (retained.envFingerprint !== wanted || retained.imageId !== target.imageId) {
    io.log(
      `retained ${what} was started with other variables or settings than the app has now: creating a new container (a rotated secret must not come back)`,
    );
    return null;
  }
  try {
    return await web.restart(retained.workloadRef, { port });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    io.log(`could not restart retained ${what} (${message}): creating a new container`);
    return null;
  }
}
