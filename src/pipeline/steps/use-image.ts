import { EngineError } from '../../engine/engine-error.js';
import type { RollbackTarget } from '../deployment-store.js';
import { readDeclaredCommands } from '../image-release-commands.js';
import { StepFailure, type Step } from '../step.js';
import { releaseCommandStep } from './release-command.js';

/**
 * A rollback's first step: the target's image by its id, without asking a registry. Only when
 * the host no longer has it is it pulled again, by digest, so the very same image comes back;
 * with no digest either, the rollback fails here, before anything changed.
 */
export function useImageStep(target: RollbackTarget): Step {
  const label = `use image ${target.imageId.slice(0, 19)}`;
  return {
    kind: 'pull',
    label,
    source: null,
    command: null,
    readOnly: true,
    async run(context, io) {
      const { engine, deployment } = context;
      let image = await engine.images.inspect(target.imageId);
      if (image === null) {
        if (target.digest === null) {
          const error = `image ${target.imageId} is no longer on this host and has no registry digest to pull it by`;
          throw StepFailure.of(error, `rollback failed: ${error}`);
        }
        io.log(`image ${target.imageId} is no longer on this host; pulling ${target.digest}`);
        image = await engine.images
          .resolve(target.digest, {
            onLog: (line) => {
              io.log(line);
            },
            credentials: deployment.registryCredentials,
          })
          .catch((error: unknown) => {
            if (error instanceof EngineError) {
              throw StepFailure.of(error.message, `rollback failed: ${error.message}`);
            }
            throw error;
          });
        if (image.id !== target.imageId) {
          const error = `${target.digest} now resolves to ${image.id}, not ${target.imageId}`;
          throw StepFailure.of(error, `rollback failed: ${error}`);
        }
      } else {
        io.log(`image ${image.id} is on this host: no pull`);
      }
      context.image = image;
      if (!target.runReleaseCommands) {
        io.log(
          'release commands skipped: a rollback does not reverse migrations or other release commands (runReleaseCommands: true runs them again)',
        );
        return undefined;
      }
      const declared = readDeclaredCommands(image.labels);
      if (!declared.ok) throw StepFailure.of(declared.error, `rollback failed: ${declared.error}`);
      return {
        followUps: declared.commands.map((command) =>
          releaseCommandStep({ ...command, source: 'image' }),
        ),
      };
    },
  };
}
