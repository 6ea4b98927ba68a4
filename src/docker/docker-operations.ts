/**
 * The Docker implementation's own operations, bound to one engine client. The engine seam
 * (docker-engine.ts) is built from them; the benchmark's floor and the operation tests use them
 * directly. Nothing outside src/docker, bench/ and test/docker calls these.
 */
import Docker from 'dockerode';
import type { RegistryCredentials } from '../engine/engine.js';
import { containerState, listContainers, logTail } from './container-queries.js';
import { loadDockerConfig } from './docker-config-file.js';
import { networkAddress } from './network-address.js';
import { inspectImageById, pullImage } from './pull-image.js';
import type { DockerConfig } from './registry-auth.js';
import { removeContainer } from './remove-container.js';
import { runCommand } from './run-command.js';
import type { RunCommandOptions, StartWebContainerOptions } from './runtime-types.js';
import {
  keepRunning,
  restartWebContainer,
  startContainer,
  startWebContainer,
  stopContainer,
} from './web-container.js';

export interface DockerOperationsOptions {
  /** Engine client; by default the engine named by DOCKER_HOST, else the local socket. */
  docker?: Docker;
  /**
   * Registry credentials for pulls that get none explicitly. Undefined: read DOCKER_AUTH_CONFIG,
   * $DOCKER_CONFIG/config.json or ~/.docker/config.json at each pull; null: use none.
   */
  authConfig?: DockerConfig | null;
}

export function createDockerOperations(options: DockerOperationsOptions = {}) {
  const docker = options.docker ?? new Docker();
  const { authConfig } = options;
  const loadAuth = () =>
    authConfig === undefined ? loadDockerConfig() : Promise.resolve(authConfig);
  return {
    pullImage: (
      reference: string,
      onLog: (line: string) => void,
      credentials?: RegistryCredentials | null,
    ) =>
      pullImage(
        docker,
        reference,
        onLog,
        credentials == null
          ? undefined
          : {
              serveraddress: credentials.server,
              username: credentials.username,
              password: credentials.password,
            },
        loadAuth,
      ),
    inspectImage: (id: string) => inspectImageById(docker, id),
    runCommand: (run: RunCommandOptions) => runCommand(docker, run),
    startWebContainer: (web: StartWebContainerOptions) => startWebContainer(docker, web),
    containerState: (id: string) => containerState(docker, id),
    logTail: (id: string, lines: number) => logTail(docker, id, lines),
    keepRunning: (id: string) => keepRunning(docker, id),
    startContainer: (id: string) => startContainer(docker, id),
    /** Stops it (SIGTERM, SIGKILL after stopTimeoutSeconds) and keeps it, with restarts off. */
    stopContainer: (id: string, stopTimeoutSeconds: number) =>
      stopContainer(docker, id, stopTimeoutSeconds),
    /** Starts a kept web container again; returns its published host port. */
    restartWebContainer: (id: string, containerPort: number) =>
      restartWebContainer(docker, id, containerPort),
    /** Stops it (SIGTERM, SIGKILL after stopTimeoutSeconds, default the container's own) and removes it. */
    removeContainer: (id: string, stopTimeoutSeconds?: number) =>
      removeContainer(docker, id, stopTimeoutSeconds),
    listContainers: (labels: Record<string, string>) => listContainers(docker, labels),
    networkAddress: (id: string, network: string) => networkAddress(docker, id, network),
  };
}

export type DockerOperations = ReturnType<typeof createDockerOperations>;
