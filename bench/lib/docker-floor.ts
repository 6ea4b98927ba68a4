/**
 * The floor: the Docker operations of a deployment done directly, with nothing around them. It
 * uses the Docker implementation's own operations from src/docker (a thin dockerode wrapper; only
 * src/docker may import dockerode), so both sides pay the same price for talking to the engine.
 */
import { randomBytes } from 'node:crypto';
import {
  createDockerOperations,
  type DockerOperations,
} from '../../src/docker/docker-operations.js';
import type { PulledImage } from '../../src/docker/runtime-types.js';
import { probeOnce } from '../../src/engine/http-probe.js';
import { sleep, wallNow } from './clock.js';
import { benchLabel } from './environment.js';

/** The floor polls this often: as tight as a script reasonably would. */
export const floorPollIntervalMs = 10;

export interface FloorResult {
  containerId: string;
  hostPort: number;
  /** Wall-clock times (ms) of the phase boundaries. */
  startedAt: number;
  pulledAt: number;
  releasedAt: number;
  containerStartedAt: number;
  /** When the first HTTP 200 came back. */
  readyAt: number;
  finishedAt: number;
}

export interface Floor {
  runtime: DockerOperations;
  /** pull check, run+wait+remove each release command, create+start, poll until 200, retire previous. */
  deploy: (options: {
    image: string;
    releaseCommands: readonly string[];
    previousContainerId: string | null;
    timeoutMs?: number;
  }) => Promise<FloorResult>;
  remove: (containerId: string) => Promise<void>;
}

export function createFloor(runId: string): Floor {
  // No credentials: the local registry is open, and this skips reading ~/.docker/config.json.
  const runtime = createDockerOperations({ authConfig: null });
  const labels = { [benchLabel]: runId };

  async function waitForHttp(url: string, deadline: number): Promise<void> {
    for (;;) {
      const attempt = await probeOnce(url, 2000);
      if (attempt.ok) return;
      if (performance.now() > deadline) throw new Error(`floor: ${url} never answered`);
      await sleep(floorPollIntervalMs);
    }
  }

  return {
    runtime,
    async deploy({ image, releaseCommands, previousContainerId, timeoutMs = 120_000 }) {
      const deadline = performance.now() + timeoutMs;
      const startedAt = wallNow();
      const info: PulledImage = await runtime.pullImage(image, () => {});
      const pulledAt = wallNow();
      for (const command of releaseCommands) {
        const result = await runtime.runCommand({
          image: info.id,
          command,
          labels,
          env: {},
          network: undefined,
          timeoutMs: 60_000,
          onOutput: () => {},
        });
        if (result.outcome !== 'exited' || result.exitCode !== 0) {
          throw new Error(`floor: release command ${command} ended ${JSON.stringify(result)}`);
        }
      }
      const releasedAt = wallNow();
      const port = info.exposedTcpPorts[0] ?? 8080;
      const container = await runtime.startWebContainer({
        image: info.id,
        name: `slipway-bench-floor-${randomBytes(5).toString('hex')}`,
        labels,
        env: { PORT: String(port) },
        containerPort: port,
        network: undefined,
      });
      const containerStartedAt = wallNow();
      await waitForHttp(`http://127.0.0.1:${container.hostPort}/`, deadline);
      const readyAt = wallNow();
      if (previousContainerId !== null) await runtime.removeContainer(previousContainerId);
      return {
        containerId: container.containerId,
        hostPort: container.hostPort,
        startedAt,
        pulledAt,
        releasedAt,
        containerStartedAt,
        readyAt,
        finishedAt: wallNow(),
      };
    },
    remove: (containerId) => runtime.removeContainer(containerId),
  };
}
