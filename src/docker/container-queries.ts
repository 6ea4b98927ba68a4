import type Docker from 'dockerode';

import type { ContainerState } from './runtime-types.js';
import { hasStatus, toRuntimeError } from './engine-errors.js';
import { demuxToText } from './output-demuxer.js';

/**
 * While the restart policy brings a crashed container back, the engine reports it as running and
 * restarting at once; here that counts as not running, with the exit code of the crash.
 */
export async function containerState(
  docker: Docker,
  containerId: string,
): Promise<ContainerState | null> {
  let inspected: Docker.ContainerInspectInfo;
  try {
    inspected = await docker.getContainer(containerId).inspect();
  } catch (error) {
    if (hasStatus(error, 404)) return null;
    throw toRuntimeError(error, `inspecting container ${containerId}`);
  }
  const { Running, Restarting, Status, ExitCode } = inspected.State;
  const running = Running && !Restarting;
  // A created container that never ran has an exit code of 0 that means nothing.
  const exitCode = running || Status === 'created' ? null : ExitCode;
  return { running, exitCode };
}

/** The last `lines` lines of stdout and stderr together, in the order the engine logged them. */
export async function logTail(docker: Docker, containerId: string, lines: number): Promise<string> {
  if (lines <= 0) return '';
  try {
    const buffer = await docker
      .getContainer(containerId)
      .logs({ stdout: true, stderr: true, tail: lines, follow: false });
    return demuxToText(buffer);
  } catch (error) {
    throw toRuntimeError(error, `reading the logs of container ${containerId}`);
  }
}

export async function listContainers(
  docker: Docker,
  labels: Record<string, string>,
): Promise<{ id: string; labels: Record<string, string> }[]> {
  const labelFilters = Object.entries(labels).map(([key, value]) => `${key}=${value}`);
  try {
    const containers = await docker.listContainers({
      all: true,
      filters: JSON.stringify({ label: labelFilters }),
    });
    return containers.map((container) => ({ id: container.Id, labels: { ...container.Labels } }));
  } catch (error) {
    throw toRuntimeError(error, 'listing containers');
  }
}
