import { required, type Step } from '../step.js';
import { chooseWebPort } from '../web-port.js';

/**
 * Starts the candidate release. Its preflight works out the web port once the image is known,
 * so a release that could never start fails before any release command changes anything.
 */
export function startStep(): Step {
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
      const candidate = await context.engine.web.start({
        owner: { app: context.deployment.app, deploymentId: context.deployment.id },
        imageId: image.id,
        env: { ...context.env, PORT: String(webPort.port) },
        port: webPort.port,
        resources: context.deployment.settings.resources,
        replicas: context.deployment.settings.webContainer.replicas,
      });
      context.candidate = candidate;
      io.log(candidate.description);
      return undefined;
    },
    async undo(context) {
      const candidate = context.candidate;
      if (candidate === null) return { removedWorkloads: 0 };
      await context.engine.web.abandon(candidate.ref);
      context.candidate = null;
      return { removedWorkloads: candidate.endpoints.length };
    },
  };
}
