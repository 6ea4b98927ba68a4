import type { Logger } from 'pino';
import type { Engine } from '../../engine/engine.js';
import type { LiveRelease } from '../deployment-store.js';
import { required, type Step } from '../step.js';

/**
 * The commit point: records the candidate as the app's live release, then retires the release it
 * replaced. Once the release row is written nothing may fail this step (the runner would undo the
 * start and remove what is now live): a previous release that cannot be removed is an orphan for
 * the reconciler, not a failed deployment.
 */
export function activateStep(logger: Logger): Step {
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
        endpoint: candidate.endpoint,
        webPort: webPort.port,
      });
      io.log(`${engine.web.describe(candidate.ref)} is now the live release`);
      if (previous === null || previous.workloadRef === candidate.ref) {
        io.log('no previous release to retire');
        return undefined;
      }
      await retirePrevious(
        engine,
        previous,
        (line) => {
          io.log(line);
        },
        logger,
      );
      return undefined;
    },
  };
}

/** Never throws: the new release is live whatever happens to the old one. */
async function retirePrevious(
  engine: Engine,
  previous: LiveRelease,
  log: (line: string) => void,
  logger: Logger,
): Promise<void> {
  const what = `previous release ${previous.deploymentId} (${engine.web.describe(previous.workloadRef)})`;
  try {
    if ((await engine.web.health(previous.workloadRef)) === 'missing') {
      log(`${what} was already gone`);
      return;
    }
    await engine.web.retire(previous.workloadRef);
    log(`retired ${what}`);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    log(`warning: could not remove ${what}: ${message}`);
    logger.warn(
      { err: error, workloadRef: previous.workloadRef },
      'could not retire previous release',
    );
  }
}
