import type { ClaimedDeployment } from './deployment-store.js';
import type { Step } from './step.js';
import { activateStep } from './steps/activate.js';
import { probeStep } from './steps/probe.js';
import { pullStep } from './steps/pull.js';
import { releaseCommandStep } from './steps/release-command.js';
import { retireStep } from './steps/retire.js';
import { routeStep } from './steps/route.js';
import { startStep } from './steps/start.js';
import { useImageStep } from './steps/use-image.js';

/**
 * The plan of a deployment, written once: pull (which adds the image's own release commands
 * after itself), the app's release commands in order, then start → probe → activate (the commit
 * point) → route → retire. A rollback starts with its target's image instead of a pull.
 */
export function planDeployment(deployment: ClaimedDeployment): Step[] {
  const rollback = deployment.rollback;
  // A rollback uses the target's image by id (no registry) and, by default, runs no release
  // commands: it cannot reverse a migration, and running the old ones again rarely helps.
  const first = rollback === null ? pullStep(deployment.image) : useImageStep(rollback);
  const commands = rollback === null || rollback.runReleaseCommands;
  return [
    first,
    ...(commands ? deployment.settings.releaseCommands : []).map((command) =>
      releaseCommandStep({ ...command, source: 'app' }),
    ),
    startStep(),
    probeStep(),
    activateStep(),
    routeStep(),
    retireStep(),
  ];
}
