import { envFingerprint } from '../env-fingerprint.js';
import { required, type Step } from '../step.js';

/**
 * The commit point: records the candidate as the app's live release. The release it replaced is
 * kept for the route and retire steps; from here on nothing is undone (a failure later is
 * reported on its step and repaired by the reconciler, never by removing the live release).
 */
export function activateStep(): Step {
  return {
    kind: 'activate',
    label: 'activate release',
    source: null,
    command: null,
    commits: true,
    async run(context, io) {
      const { deployment, engine } = context;
      const candidate = required(context.candidate, 'the started candidate');
      const image = required(context.image, 'the pulled image');
      const webPort = required(context.webPort, 'the web port');
      await engine.web.promote(candidate.ref);
      const previous = await context.store.activateRelease({
        deploymentId: deployment.id,
        applicationId: deployment.applicationId,
        image: deployment.image,
        imageId: image.id,
        engine: engine.name,
        workloadRef: candidate.ref,
        endpoints: candidate.endpoints,
        webPort: webPort.port,
        envFingerprint: envFingerprint({
          env: deployment.env,
          app: deployment.app,
          port: webPort.port,
        }),
      });
      // The same workload again (a retried activate) replaced nothing.
      context.previousRelease =
        previous === null || previous.workloadRef === candidate.ref ? null : previous;
      io.log(`${engine.web.describe(candidate.ref)} is now the live release`);
      return undefined;
    },
  };
}
