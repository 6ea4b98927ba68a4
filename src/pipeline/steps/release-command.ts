import { outOfMemoryError } from '../../domain/resource-limits.js';
import { releaseCommandDefaults } from '../../schemas/release-command.js';
import { StepFailure, required, type Step } from '../step.js';

export interface ReleaseCommandSpec {
  label: string;
  command: string;
  /** Unset for image-declared commands that name none: the schema's default applies. */
  timeoutSeconds?: number | undefined;
  source: 'image' | 'app';
}

/**
 * One release command, run to completion in a fresh workload from the new image. A non-zero exit
 * or a timeout fails the deployment. There is no undo: a migration cannot be taken back.
 */
export function releaseCommandStep(spec: ReleaseCommandSpec): Step {
  const timeoutSeconds = spec.timeoutSeconds ?? releaseCommandDefaults.timeoutSeconds;
  const what = `release command '${spec.label}'`;
  return {
    kind: 'release_command',
    label: spec.label,
    source: spec.source,
    command: spec.command,
    async run(context, io) {
      const image = required(context.image, 'the pulled image');
      io.log(`$ ${spec.command}`);
      const result = await context.engine.tasks.run(
        {
          owner: { app: context.deployment.app, deploymentId: context.deployment.id },
          stepId: io.stepId,
          imageId: image.id,
          command: spec.command,
          env: { ...context.env, SLIPWAY_RELEASE_COMMAND: '1' },
          timeoutMs: timeoutSeconds * 1000,
          resources: context.deployment.settings.resources,
        },
        {
          onOutput: (text, stream) => {
            io.write(text, stream);
          },
          signal: io.signal,
        },
      );
      switch (result.outcome) {
        case 'exited':
          if (result.exitCode === 0) return { exitCode: 0 };
          if (result.oomKilled === true) {
            const error = outOfMemoryError(context.deployment.settings.resources);
            throw StepFailure.of(error, `${what} ran ${error}`, result.exitCode);
          }
          throw StepFailure.of(
            `exited with code ${result.exitCode}`,
            `${what} exited with code ${result.exitCode}`,
            result.exitCode,
          );
        case 'timed-out':
          throw StepFailure.of(
            `timed out after ${timeoutSeconds} s`,
            `${what} timed out after ${timeoutSeconds} s`,
          );
        case 'aborted':
          throw io.interrupted(what);
      }
    },
  };
}
