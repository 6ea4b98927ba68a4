/** Shapes of the Docker implementation's own operations, below the engine seam (src/engine). */
import type { ResourceLimits } from '../domain/resource-limits.js';
import type { OutputStream } from '../engine/engine.js';

export type { OutputStream };

export interface RunCommandOptions {
  image: string;
  /** Run as `/bin/sh -c <command>`, overriding the image's entrypoint. */
  command: string;
  labels: Record<string, string>;
  env: Record<string, string>;
  /** Docker network to attach; undefined means the engine's default bridge. */
  network: string | undefined;
  timeoutMs: number;
  onOutput: (text: string, stream: OutputStream) => void;
  /** Memory, CPU and PID limits of the container; undefined leaves the engine's defaults. */
  resources?: ResourceLimits;
  /** Aborting kills the container; the promise then resolves with outcome "aborted". */
  signal?: AbortSignal;
}

export type RunCommandResult =
  /** oomKilled: the kernel's OOM killer ended a process of it (over its memory limit). */
  | { outcome: 'exited'; exitCode: number; oomKilled?: boolean }
  | { outcome: 'timed-out' }
  | { outcome: 'aborted' };

export interface StartWebContainerOptions {
  image: string;
  name: string;
  labels: Record<string, string>;
  env: Record<string, string>;
  /** Port the process listens on inside the container. */
  containerPort: number;
  /** Docker network; "host" means the container port is used as the host port. */
  network: string | undefined;
  /** Memory, CPU and PID limits of the container; undefined leaves the engine's defaults. */
  resources?: ResourceLimits;
}

export interface StartedContainer {
  containerId: string;
  /** Port on 127.0.0.1 where the container port is reachable. */
  hostPort: number;
}

export interface ContainerState {
  running: boolean;
  exitCode: number | null;
}

/** Docker's shape of registry credentials (the engine API's `serveraddress`). */
export interface DockerRegistryAuth {
  serveraddress: string;
  username: string;
  password: string;
}

/** What a pull finds out about the image. */
export interface PulledImage {
  id: string;
  repoDigest: string | null;
  exposedTcpPorts: number[];
  labels: Record<string, string>;
}
