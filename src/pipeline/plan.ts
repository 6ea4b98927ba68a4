import type { ClaimedDeployment } from './deployment-store.js';
import type { Step } from './step.js';
import { activateStep } from './steps/activate.js';
import { probeStep } from './steps/probe.js';
import { pullStep } from './steps/pull.js';
import { releaseCommandStep } from './steps/release-command.js';
import { retireStep } from './steps/retire.js';
import { routeStep } from './steps/route.js';
import { startStep } from './steps/start.js';

/**
 * The plan of a deployment, written once: pull (which adds the image's own release commands
 * after itself), the app's release commands in order, then start → probe → activate (the commit
 * point) → route → retire.
 */
export function planDeployment(deployment: ClaimedDeployment): Step[] {
  return [
    pullStep(deployment.image),
    ...deployment.settings.releaseCommands.map((command) =>
      releaseCommandStep({ ...command, source: 'app' }),
    ),
    startStep(),
    probeStep(),
    activateStep(),
    routeStep(),
    retireStep(),
  ];
}
