/**
 * The engine seam (src/engine/engine.ts) on one Docker host. This folder is the only place that
 * knows dockerode, container names, labels, host ports on 127.0.0.1 and DEPLOY_NETWORK.
 */
import type { Engine, Inventory, TaskRunner } from '../engine/engine.js';
import type { ProbeAttempt } from '../engine/http-probe.js';
import { containerLabels, labelKeys } from './container-labels.js';
import {
  createDockerOperations,
  type DockerOperations,
  type DockerOperationsOptions,
} from './docker-operations.js';
import { createWebBackend } from './web-backend.js';
import { setRefOfLabels } from './web-set.js';

export interface DockerEngineOptions extends DockerOperationsOptions {
  /** Labels every container with this installation's id, so installations sharing a host never touch each other's. */
  instance: string;
  /** Docker network of release and web containers (DEPLOY_NETWORK); undefined = default bridge. */
  network: string | undefined;
  /**
   * The endpoint stored for a web release (and probed): "published" (default), the port
   * published on 127.0.0.1; "network", the container's IP on `network` and its own port, for an
   * ingress that is a container on that network (SLIPWAY_INGRESS=external with DEPLOY_NETWORK).
   */
  endpoint?: 'published' | 'network';
  /** One readiness request; tests replace it to observe the probe. */
  probeAttempt?: (url: string, timeoutMs: number, host: string | null) => Promise<ProbeAttempt>;
}

export function createDockerEngine(options: DockerEngineOptions): Engine {
  const docker = createDockerOperations(options);
  return {
    name: 'docker',
    images: {
      async resolve(reference, { onLog, credentials }) {
        const pulled = await docker.pullImage(reference, onLog, credentials);
        return {
          id: pulled.id,
          digest: pulled.repoDigest,
          exposedTcpPorts: pulled.exposedTcpPorts,
          labels: pulled.labels,
        };
      },
      async inspect(imageId) {
        const image = await docker.inspectImage(imageId);
        return image === null
          ? null
          : {
              id: image.id,
              digest: image.repoDigest,
              exposedTcpPorts: image.exposedTcpPorts,
              labels: image.labels,
            };
      },
    },
    tasks: createTaskRunner(docker, options),
    web: createWebBackend(docker, options),
    // One host, no proxy of its own yet: nothing to switch.
    router: null,
    inventory: createInventory(docker, options.instance),
  };
}

function createTaskRunner(docker: DockerOperations, options: DockerEngineOptions): TaskRunner {
  return {
    run: (task, io) =>
      docker.runCommand({
        image: task.imageId,
        command: task.command,
        labels: containerLabels({
          instance: options.instance,
          app: task.owner.app,
          deploymentId: task.owner.deploymentId,
          role: 'release',
          stepId: task.stepId,
        }),
        env: task.env,
        network: options.network,
        timeoutMs: task.timeoutMs,
        resources: task.resources,
        onOutput: io.onOutput,
        signal: io.signal,
      }),
  };
}

function createInventory(docker: DockerOperations, instance: string): Inventory {
  return {
    async list(filter) {
      const containers = await docker.listContainers({
        [labelKeys.managed]: 'true',
        [labelKeys.instance]: instance,
        ...(filter === undefined ? {} : { [labelKeys.deployment]: filter.deploymentId }),
      });
      return containers.map((container) => {
        const setRef = setRefOfLabels(container.labels);
        return {
          ref: container.id,
          deploymentId: container.labels[labelKeys.deployment] ?? null,
          ...(setRef === null ? {} : { setRef }),
        };
      });
    },
    remove: (ref) => docker.removeContainer(ref),
  };
}
