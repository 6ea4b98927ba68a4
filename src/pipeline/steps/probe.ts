import { formatDuration } from '../../domain/format-duration.js';
import { StepFailure, required, type Step } from '../step.js';

/** Gates the candidate: it must answer over HTTP, from outside its image, within the probe settings. */
export function probeStep(): Step {
  return {
    kind: 'probe',
    label: 'startup probe',
    source: null,
    command: null,
    async run(context, io) {
      const candidate = required(context.candidate, 'the started candidate');
      const probe = context.deployment.settings.startupProbe;
      const result = await context.engine.web.waitUntilReady(
        candidate,
        // The app's primary hostname: frameworks that check Host reject a bare address.
        { path: probe.path, settings: probe, host: context.deployment.hostnames[0] ?? null },
        {
          log: (line) => {
            io.log(line);
          },
          signal: io.signal,
        },
      );
      context.metrics?.probeAttempts(result.attempts);
      // Which replica failed, when there are several ("replica 2 of 3: ").
      const which =
        result.outcome === 'ready' || result.outcome === 'aborted' || result.of <= 1
          ? ''
          : `replica ${result.replica} of ${result.of}: `;
      switch (result.outcome) {
        case 'ready':
          io.log(
            `ready after ${result.attempts} attempt(s) in ${formatDuration(result.elapsedMs)}`,
          );
          return undefined;
        case 'timed-out': {
          const error = `not ready within ${probe.startupTimeoutSeconds} s (${result.attempts} attempts)`;
          throw StepFailure.of(`${which}${error}`, `${which}web container ${error}`);
        }
        case 'retries-exhausted': {
          const error = `not ready after ${result.attempts} attempts (maxRetries ${probe.maxRetries})`;
          throw StepFailure.of(`${which}${error}`, `${which}web container ${error}`);
        }
        case 'exited': {
          const code = result.exitCode ?? 'unknown';
          io.log(`${which}container exited with code ${code}; its last 50 log lines:`);
          const tail = result.logTail;
          io.write(tail.endsWith('\n') || tail === '' ? tail : `${tail}\n`);
          const error = `${which}web container exited with code ${code} while being probed`;
          throw StepFailure.of(error, error, result.exitCode);
        }
        case 'aborted':
          throw io.interrupted('the startup probe');
      }
    },
  };
}
