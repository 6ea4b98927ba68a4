/**
 * The ContainerRuntime backed by a Docker engine. This folder is the only place that knows
 * dockerode; everything else sees the interface in src/pipeline/container-runtime.ts.
 */
import Docker from 'dockerode';

import type { ContainerRuntime } from '../pipeline/container-runtime.js';
import { containerState, listContainers, logTail } from './container-queries.js';
import { loadDockerConfig } from './docker-config-file.js';
import { pullImage, type DockerConfigLoader } from './pull-image.js';
import type { DockerConfig } from './registry-auth.js';
import { removeContainer } from './remove-container.js';
import { runCommand } from './run-command.js';
import { keepRunning, startWebContainer } from './web-container.js';

export interface DockerRuntimeOptions {
  /** Engine client; by default the engine named by DOCKER_HOST, else the local socket. */
  docker?: Docker;
  /**
   * Registry credentials for pulls that get none explicitly. Undefined: read DOCKER_AUTH_CONFIG,
   * $DOCKER_CONFIG/config.json or ~/.docker/config.json at each pull; null: use none.
   */
  authConfig?: DockerConfig | null;
}

export function createDockerRuntime(options: DockerRuntimeOptions = {}): ContainerRuntime {
  const docker = options.docker ?? new Docker();
  const { authConfig } = options;
  const loadAuthConfig: DockerConfigLoader =
    authConfig === undefined ? () => loadDockerConfig() : () => Promise.resolve(authConfig);
  return {
    pullImage: (reference, onLog, credentials) =>
      pullImage(docker, reference, onLog, credentials, loadAuthConfig),
    runCommand: (runOptions) => runCommand(docker, runOptions),
    startWebContainer: (webOptions) => startWebContainer(docker, webOptions),
    containerState: (containerId) => containerState(docker, containerId),
    logTail: (containerId, lines) => logTail(docker, containerId, lines),
    keepRunning: (containerId) => keepRunning(docker, containerId),
    removeContainer: (containerId) => removeContainer(docker, containerId),
    listContainers: (labels) => listContainers(docker, labels),
  };
}
export type { DockerConfig } from './registry-auth.js';
