import { EngineError } from '../../engine/engine-error.js';
import { readDeclaredCommands } from '../image-release-commands.js';
import { StepFailure, type Step } from '../step.js';
import { releaseCommandStep } from './release-command.js';

/**
 * Makes the image available and reads what it declares. It changes nothing the app depends on,
 * so the other steps' preflight checks run after it. The release commands the image declares
 * become the steps right after it.
 */
export function pullStep(image: string): Step {
  const label = `pull ${image}`;
  return {
    kind: 'pull',
    label,
    source: null,
    command: null,
    readOnly: true,
    async run(context, io) {
      const { deployment, engine, store } = context;
      const resolved = await abortable(
        engine.images.resolve(deployment.image, {
          onLog: (line) => {
            io.log(line);
          },
          credentials: deployment.registryCredentials,
        }),
        io.signal,
        () => io.interrupted(label),
      ).catch((error: unknown) => {
        if (error instanceof EngineError) {
          throw StepFailure.of(error.message, `pull failed: ${error.message}`);
        }
        throw error;
      });
      io.log(`image id ${resolved.id}${resolved.digest === null ? '' : ` (${resolved.digest})`}`);
      await store.recordImage(deployment.id, resolved.id, resolved.digest);
      context.image = resolved;
      const declared = readDeclaredCommands(resolved.labels);
      if (!declared.ok) throw StepFailure.of(declared.error, `pull failed: ${declared.error}`);
      return {
        followUps: declared.commands.map((command) =>
          releaseCommandStep({ ...command, source: 'image' }),
        ),
      };
    },
  };
}

/** Settles with `work`, or rejects as soon as the signal aborts (the work itself is left to finish). */
function abortable<T>(work: Promise<T>, signal: AbortSignal, onAbort: () => Error): Promise<T> {
  if (signal.aborted) return Promise.reject(onAbort());
  return new Promise<T>((resolve, reject) => {
    const abort = () => {
      reject(onAbort());
    };
    signal.addEventListener('abort', abort, { once: true });
    work.then(resolve, reject).finally(() => {
      signal.removeEventListener('abort', abort);
    });
  });
}
