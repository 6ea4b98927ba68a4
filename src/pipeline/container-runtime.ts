/**
 * The worker's only view of the container engine. The Docker implementation lives in src/docker;
 * nothing outside that folder imports dockerode.
 */
import type { ResourceLimits } from '../domain/resource-limits.js';

export interface ImageInfo {
  /** Local image id, e.g. "sha256:…". */
  id: string;
  /** Registry digest ("repo@sha256:…") when the image came from a registry, else null. */
  repoDigest: string | null;
  /** TCP ports declared with EXPOSE, in the order the image lists them. */
  exposedTcpPorts: number[];
  labels: Record<string, string>;
}

export type OutputStream = 'stdout' | 'stderr';

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

export interface RegistryCredentials {
  serveraddress: string;
  username: string;
  password: string;
}

export interface ContainerRuntime {
  /**
   * Pulls the image (progress lines go to onLog) and returns what it declares.
   * Throws RuntimeError with code IMAGE_NOT_FOUND or REGISTRY_AUTH_FAILED on those failures.
   */
  pullImage(
    reference: string,
    onLog: (line: string) => void,
    credentials?: RegistryCredentials,
  ): Promise<ImageInfo>;
  /** Runs a one-off container to completion and removes it in every case. */
  runCommand(options: RunCommandOptions): Promise<RunCommandResult>;
  startWebContainer(options: StartWebContainerOptions): Promise<StartedContainer>;
  /** Null when the container no longer exists. */
  containerState(containerId: string): Promise<ContainerState | null>;
  logTail(containerId: string, lines: number): Promise<string>;
  /** Turns on the restart policy of a web container that has become the live release. */
  keepRunning(containerId: string): Promise<void>;
  /** Stops (briefly) and removes the container; a container that is already gone is not an error. */
  removeContainer(containerId: string): Promise<void>;
  /** Containers (running or not) carrying all the given labels. */
  listContainers(
    labels: Record<string, string>,
  ): Promise<{ id: string; labels: Record<string, string> }[]>;
}

export type RuntimeErrorCode =
  'IMAGE_NOT_FOUND' | 'REGISTRY_AUTH_FAILED' | 'ENGINE_UNAVAILABLE' | 'ENGINE_ERROR';

export class RuntimeError extends Error {
  readonly code: RuntimeErrorCode;
  constructor(code: RuntimeErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, { cause: options?.cause });
    this.name = 'RuntimeError';
    this.code = code;
  }
}
