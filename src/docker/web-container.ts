import type Docker from 'dockerode';

import type { StartedContainer, StartWebContainerOptions } from './runtime-types.js';
import { EngineError } from '../engine/engine-error.js';
import { engineMessage, hasStatus, toRuntimeError } from './engine-errors.js';
import { findFreeLoopbackPort } from './free-port.js';
import { removeWithVolumes } from './remove-options.js';
import { resourceHostConfig } from './resource-host-config.js';

/** Grace period between SIGTERM and SIGKILL when a web container is stopped. */
export const STOP_TIMEOUT_SECONDS = 5;
/** A free port can be taken between choosing it and binding it; that race is retried this often. */
const PORT_ATTEMPTS = 3;
const PORT_READ_ATTEMPTS = 10;
const PORT_READ_INTERVAL_MS = 50;

/** The part of a container inspect read here; the engine sends null for unbound ports. */
interface InspectedPorts {
  NetworkSettings?: {
    Ports?: Record<string, { HostIp?: string; HostPort?: string }[] | null> | null;
  } | null;
}

/**
 * Starts a long-running web container reachable on 127.0.0.1:hostPort.
 *
 * The host port is chosen here rather than left to the engine: an engine-chosen port is chosen
 * again, differently, each time the restart policy restarts the container, which would silently
 * strand whatever routes to the old port.
 */
export async function startWebContainer(
  docker: Docker,
  options: StartWebContainerOptions,
): Promise<StartedContainer> {
  if (options.network === 'host') {
    const containerId = await createAndStart(docker, options, null);
    return { containerId, hostPort: options.containerPort };
  }
  for (let attempt = 1; ; attempt += 1) {
    const hostPort = await findFreeLoopbackPort();
    try {
      const containerId = await createAndStart(docker, options, hostPort);
      return { containerId, hostPort: await publishedPort(docker, containerId, options, hostPort) };
    } catch (error) {
      if (attempt >= PORT_ATTEMPTS || !isPortTaken(error)) throw error;
    }
  }
}

async function createAndStart(
  docker: Docker,
  options: StartWebContainerOptions,
  hostPort: number | null,
): Promise<string> {
  const portKey = `${options.containerPort}/tcp`;
  let container: Docker.Container;
  try {
    container = await docker.createContainer({
      name: options.name,
      Image: options.image,
      Labels: options.labels,
      Env: Object.entries(options.env).map(([name, value]) => `${name}=${value}`),
      ExposedPorts: { [portKey]: {} },
      StopTimeout: STOP_TIMEOUT_SECONDS,
      HostConfig: {
        Init: true,
        NetworkMode: options.network,
        // No restarts until the release is live: a crash while it is probed must stay visible
        // as a crash instead of flickering through restarts (see keepRunning).
        RestartPolicy: { Name: 'no' },
        ...resourceHostConfig(options.resources),
        PortBindings:
          hostPort === null
            ? undefined
            : { [portKey]: [{ HostIp: '127.0.0.1', HostPort: String(hostPort) }] },
      },
    });
  } catch (error) {
    throw toRuntimeError(error, `creating web container ${options.name} from ${options.image}`);
  }
  try {
    await container.start();
    return container.id;
  } catch (startError) {
    const failure = toRuntimeError(startError, `starting web container ${options.name}`);
    try {
      await container.remove(removeWithVolumes);
    } catch (removeError) {
      if (!hasStatus(removeError, 404, 409)) {
        throw new EngineError(
          failure.code,
          `${failure.message}; removing it also failed: ${engineMessage(removeError)}`,
          { cause: startError },
        );
      }
    }
    throw failure;
  }
}

/**
 * Confirms the binding with the engine. A container that crashed at once may be between restarts
 * and show no binding for a moment; the port asked for is still its port then.
 */
async function publishedPort(
  docker: Docker,
  containerId: string,
  options: Pick<StartWebContainerOptions, 'containerPort' | 'name'>,
  requested: number,
): Promise<number> {
  const portKey = `${options.containerPort}/tcp`;
  for (let attempt = 1; attempt <= PORT_READ_ATTEMPTS; attempt += 1) {
    let inspected: InspectedPorts;
    try {
      inspected = await docker.getContainer(containerId).inspect();
    } catch (error) {
      throw toRuntimeError(error, `inspecting web container ${options.name}`);
    }
    const binding = inspected.NetworkSettings?.Ports?.[portKey]?.find(
      (candidate) => candidate.HostPort !== undefined && candidate.HostPort !== '',
    );
    if (binding?.HostPort !== undefined) return Number(binding.HostPort);
    await new Promise((resolve) => setTimeout(resolve, PORT_READ_INTERVAL_MS));
  }
  return requested;
}

function isPortTaken(error: unknown): boolean {
  return /port is already allocated|address already in use/i.test(engineMessage(error));
}

/** Once a release is live, the engine restarts it after crashes and host reboots. */
export async function keepRunning(docker: Docker, containerId: string): Promise<void> {
  try {
    await docker.getContainer(containerId).update({ RestartPolicy: { Name: 'unless-stopped' } });
  } catch (error) {
    throw toRuntimeError(error, `enabling restarts of container ${containerId}`);
  }
}

/** Starts a stopped container again (a live release stopped outside Slipway); running is fine. */
export async function startContainer(docker: Docker, containerId: string): Promise<void> {
  try {
    await docker.getContainer(containerId).start();
  } catch (error) {
    // 304: it is already running.
    if (hasStatus(error, 304)) return;
    throw toRuntimeError(error, `starting container ${containerId}`);
  }
}

/** Stops a container but keeps it (a retained release); one already stopped or gone is fine. */
export async function stopContainer(
  docker: Docker,
  containerId: string,
  stopTimeoutSeconds: number,
): Promise<void> {
  const container = docker.getContainer(containerId);
  try {
    // No restarts while it is kept: it must stay stopped until a rollback starts it.
    await container.update({ RestartPolicy: { Name: 'no' } });
    await container.stop({ t: stopTimeoutSeconds });
  } catch (error) {
    // 404: already gone; 304: not running.
    if (hasStatus(error, 404, 304)) return;
    throw toRuntimeError(error, `stopping container ${containerId}`);
  }
}

/**
 * Starts a retained (stopped) web container again and reads the host port it is published on.
 * Its binding was fixed at creation; if another process took that port meanwhile, the start
 * fails and the caller creates a fresh container instead.
 */
export async function restartWebContainer(
  docker: Docker,
  containerId: string,
  containerPort: number,
): Promise<number> {
  await startContainer(docker, containerId);
  const options = { containerPort, name: containerId.slice(0, 12) };
  return publishedPort(docker, containerId, options, containerPort);
}
