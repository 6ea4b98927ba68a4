/**
 * The engine seam (src/engine/engine.ts) on one Docker host. This folder is the only place that
 * knows dockerode, container names, labels, host ports on 127.0.0.1 and DEPLOY_NETWORK.
 */
import { isIP } from 'node:net';
import type { Engine, Inventory, TaskRunner, WebBackend } from '../engine/engine.js';
import { probeOnce, type ProbeAttempt } from '../engine/http-probe.js';
import { runStartupProbe } from '../engine/http-readiness.js';
import { containerLabels, labelKeys } from './container-labels.js';
import {
  createDockerOperations,
  type DockerOperations,
  type DockerOperationsOptions,
} from './docker-operations.js';

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

/** Lines of a crashed web container's output shown in the probe step's log. */
const CRASH_LOG_LINES = 50;

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

function createWebBackend(docker: DockerOperations, options: DockerEngineOptions): WebBackend {
  const describe = (ref: string) => `container ${ref.slice(0, 12)}`;
  return {
    async start(spec) {
      const { containerId, hostPort } = await docker.startWebContainer({
        image: spec.imageId,
        name: `slipway-${spec.owner.app}-${spec.owner.deploymentId.slice(0, 8)}`,
        labels: containerLabels({
          instance: options.instance,
          app: spec.owner.app,
          deploymentId: spec.owner.deploymentId,
          role: 'web',
        }),
        env: spec.env,
        containerPort: spec.port,
        network: options.network,
        resources: spec.resources,
      });
      const published = `port ${spec.port} published on 127.0.0.1:${hostPort}`;
      const network = options.network;
      if (options.endpoint !== 'network' || network === undefined || network === 'host') {
        return {
          ref: containerId,
          endpoint: `http://127.0.0.1:${hostPort}`,
          description: `started ${describe(containerId)}, ${published}`,
        };
      }
      const ip = await docker.networkAddress(containerId, network).catch(async (error: unknown) => {
        // Started but unreachable for the ingress: not a candidate; nothing may be left behind.
        await docker.removeContainer(containerId);
        throw error;
      });
      const endpoint = isIP(ip) === 6 ? `http://[${ip}]:${spec.port}` : `http://${ip}:${spec.port}`;
      return {
        ref: containerId,
        endpoint,
        description: `started ${describe(containerId)}, reached at ${endpoint} on network ${network} (${published})`,
      };
    },

    async waitUntilReady(candidate, check, io) {
      const result = await runStartupProbe({
        url: `${candidate.endpoint}${check.path}`,
        settings: check.settings,
        attempt: (url, timeoutMs) =>
          (options.probeAttempt ?? probeOnce)(url, timeoutMs, check.host),
        host: check.host,
        containerState: () => docker.containerState(candidate.ref),
        log: io.log,
        signal: io.signal,
      });
      switch (result.outcome) {
        case 'ready':
          return { outcome: 'ready', attempts: result.attempts, elapsedMs: result.elapsedMs };
        case 'container-exited': {
          const tail = await docker
            .logTail(candidate.ref, CRASH_LOG_LINES)
            .catch(
              (error: unknown) =>
                `(could not read its logs: ${error instanceof Error ? error.message : String(error)})`,
            );
          return {
            outcome: 'exited',
            attempts: result.attempts,
            exitCode: result.exitCode,
            logTail: tail,
          };
        }
        default:
          return { outcome: result.outcome, attempts: result.attempts };
      }
    },

    promote: (ref) => docker.keepRunning(ref),
    abandon: (ref) => docker.removeContainer(ref),
    retire: (ref, { stopTimeoutSeconds }) => docker.removeContainer(ref, stopTimeoutSeconds),
    stop: (ref, { stopTimeoutSeconds }) => docker.stopContainer(ref, stopTimeoutSeconds),
    async restart(ref, spec) {
      const hostPort =
        options.network === 'host'
          ? (await docker.startContainer(ref), spec.port)
          : await docker.restartWebContainer(ref, spec.port);
      return {
        ref,
        endpoint: `http://127.0.0.1:${hostPort}`,
        description: `restarted retained ${describe(ref)}, port ${spec.port} published on 127.0.0.1:${hostPort}`,
      };
    },
    async health(ref) {
      const state = await docker.containerState(ref);
      if (state === null) return 'missing';
      return state.running ? 'running' : 'exited';
    },
    revive: (ref) => docker.startContainer(ref),
    describe,
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
      return containers.map((container) => ({
        ref: container.id,
        deploymentId: container.labels[labelKeys.deployment] ?? null,
      }));
    },
    remove: (ref) => docker.removeContainer(ref),
  };
}
