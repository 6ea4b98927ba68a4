import type Docker from 'dockerode';

import { EngineError } from '../engine/engine-error.js';
import { engineMessage, hasStatus, toRuntimeError } from './engine-errors.js';
import { STOP_TIMEOUT_SECONDS } from './web-container.js';
import { removeWithVolumes } from './remove-options.js';

/** Stops (so the process gets its SIGTERM) then force-removes; a vanished container is fine. */
export async function removeContainer(
  docker: Docker,
  containerId: string,
  stopTimeoutSeconds: number = STOP_TIMEOUT_SECONDS,
): Promise<void> {
  const container = docker.getContainer(containerId);
  // A failed stop matters only if the forced removal, which kills what still runs, fails too.
  let stopFailure: string | null = null;
  try {
    await container.stop({ t: stopTimeoutSeconds });
  } catch (error) {
    if (hasStatus(error, 404)) return;
    // 304: it was not running.
    if (!hasStatus(error, 304)) stopFailure = engineMessage(error);
  }
  try {
    await container.remove(removeWithVolumes);
  } catch (error) {
    // 409: another removal of it is already under way.
    if (hasStatus(error, 404, 409)) return;
    const failure = toRuntimeError(error, `removing container ${containerId}`);
    if (stopFailure === null) throw failure;
    throw new EngineError(
      failure.code,
      `${failure.message} (stopping it failed too: ${stopFailure})`,
      {
        cause: error,
      },
    );
  }
}
