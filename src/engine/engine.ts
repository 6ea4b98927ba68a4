/**
 * The seam between the deployment pipeline and whatever runs the containers, cut at the domain's
 * units of work: an image to resolve, a release command to run to completion, a candidate web
 * release to start, gate, promote, abandon or retire, and the inventory of what this installation
 * owns. The pipeline knows endpoints and opaque workload references, never container ids, host
 * ports or engine networks; those live in the engine's own folder (src/docker for Docker).
 */
import type { ResourceLimits } from '../domain/resource-limits.js';
import type { StartupProbeSettings } from '../schemas/settings.js';

/** The deployment (and app) a workload belongs to; the engine labels what it creates with it. */
export interface WorkloadOwner {
  app: string;
  deploymentId: string;
}

export interface RegistryCredentials {
  /** Registry host[:port] the credentials are for. */
  server: string;
  username: string;
  password: string;
}

export interface ImageInfo {
  /** Immutable id of the image as the engine knows it (e.g. "sha256:…"). */
  id: string;
  /** Registry digest ("repo@sha256:…") when the image came from a registry, else null. */
  digest: string | null;
  /** TCP ports declared with EXPOSE, in the order the image lists them. */
  exposedTcpPorts: number[];
  labels: Record<string, string>;
}

export interface ImageSource {
  /**
   * Makes the image available to the engine and says what it declares. Progress lines go to
   * onLog. Throws EngineError IMAGE_NOT_FOUND or REGISTRY_AUTH_FAILED on those failures.
   */
  resolve(
    reference: string,
    options: { onLog: (line: string) => void; credentials: RegistryCredentials | null },
  ): Promise<ImageInfo>;
  /** What an image already present says about itself, by its id; null when it is not present. */
  inspect(imageId: string): Promise<ImageInfo | null>;
}

export type OutputStream = 'stdout' | 'stderr';

export interface ReleaseTask {
  owner: WorkloadOwner;
  /** The step this task runs for, so a leftover can be traced to it. */
  stepId: string;
  imageId: string;
  /** Runs as `/bin/sh -c <command>`, overriding the image's entrypoint. */
  command: string;
  env: Record<string, string>;
  timeoutMs: number;
  resources: ResourceLimits;
}

export type TaskResult =
  /** oomKilled: ended by the kernel for going over its memory limit. */
  | { outcome: 'exited'; exitCode: number; oomKilled?: boolean }
  | { outcome: 'timed-out' }
  | { outcome: 'aborted' };

export interface TaskRunner {
  /**
   * Runs the task to completion in a fresh workload that is cleaned up in every case. Aborting
   * the signal kills it; the promise then resolves with outcome "aborted".
   */
  run(
    task: ReleaseTask,
    io: { onOutput: (text: string, stream: OutputStream) => void; signal: AbortSignal },
  ): Promise<TaskResult>;
}

export interface CandidateSpec {
  owner: WorkloadOwner;
  imageId: string;
  env: Record<string, string>;
  /** Port the web process listens on inside its workload. */
  port: number;
  resources: ResourceLimits;
  /** How many identical web workloads (replicas) serve the release, 1–20. */
  replicas: number;
}

/** A started web release (all its replicas), not yet serving the app. */
export interface Candidate {
  /**
   * The engine's own reference to the release's workloads, one string for the whole set of
   * replicas (opaque to the pipeline, stored as the release's workload ref).
   */
  ref: string;
  /**
   * Where each replica answers HTTP, as seen from Slipway (e.g. "http://127.0.0.1:32768"), in
   * replica order (replica 1 first); one per replica.
   */
  endpoints: string[];
  /** One line for the step log, in the engine's terms. */
  description: string;
}

export interface ReadinessCheck {
  path: string;
  settings: StartupProbeSettings;
  /**
   * Host header of each probe request: the app's primary hostname, since frameworks that check
   * Host reject a request to a bare address. null sends the endpoint's own host:port.
   */
  host: string | null;
}

/** Which replica (1-based) of how many a failed readiness check is about. */
export interface ReplicaIndex {
  replica: number;
  of: number;
}

/**
 * A candidate is ready when every replica is; a failure is the first replica's that failed (the
 * others' probes are stopped then). `attempts` of "ready" is the most any replica needed.
 */
export type ReadinessResult =
  | { outcome: 'ready'; attempts: number; elapsedMs: number }
  | ({ outcome: 'timed-out'; attempts: number } & ReplicaIndex)
  | ({ outcome: 'retries-exhausted'; attempts: number } & ReplicaIndex)
  /** The workload stopped while it was being gated; `logTail` holds its last output lines. */
  | ({
      outcome: 'exited';
      attempts: number;
      exitCode: number | null;
      logTail: string;
    } & ReplicaIndex)
  | { outcome: 'aborted'; attempts: number };

export const workloadHealths = ['running', 'exited', 'missing'] as const;
export type WorkloadHealth = (typeof workloadHealths)[number];

export interface WebBackend {
  /**
   * Starts a candidate release: all `spec.replicas` workloads, each answering at its own endpoint;
   * nothing routes to them yet. If one fails to start, those already started are removed.
   */
  start(spec: CandidateSpec): Promise<Candidate>;
  /** Waits until the candidate is ready to serve, within the probe settings. */
  waitUntilReady(
    candidate: Candidate,
    check: ReadinessCheck,
    io: { log: (line: string) => void; signal: AbortSignal },
  ): Promise<ReadinessResult>;
  /** Called once the candidate is committed as the live release (e.g. keep it running). */
  promote(ref: string): Promise<void>;
  /** Removes a candidate that never became live. A workload already gone is not an error. */
  abandon(ref: string): Promise<void>;
  /**
   * Stops (SIGTERM, then SIGKILL after stopTimeoutSeconds) and removes a release that is no longer
   * live. A workload already gone is not an error.
   */
  retire(ref: string, options: { stopTimeoutSeconds: number }): Promise<void>;
  /**
   * Stops a release that is no longer live (SIGTERM, then SIGKILL after stopTimeoutSeconds) but
   * keeps its workload, so a rollback can start it again. A workload already gone is not an error.
   */
  stop(ref: string, options: { stopTimeoutSeconds: number }): Promise<void>;
  /**
   * Starts a stopped (retained) workload again as a candidate: nothing routes to it yet, and it
   * may answer at a different endpoint than before. Undo with stop, not abandon.
   */
  restart(ref: string, spec: { port: number }): Promise<Candidate>;
  /**
   * How the workloads of a live release are doing, for the reconciler: running when every
   * replica runs, missing when none exists, exited otherwise (one stopped or gone).
   */
  health(ref: string): Promise<WorkloadHealth>;
  /** Starts a live release's stopped replicas again after they stopped outside Slipway. */
  revive(ref: string): Promise<void>;
  /** Names the workloads in a log line ("container 0123456789ab", "3 containers (0123abcd…, …)"). */
  describe(ref: string): string;
}

export interface RouteResult {
  /** Endpoints that started taking the app's new requests with this call. */
  added: number;
  /** Endpoints that stopped taking new requests and now drain (the previous release). */
  draining: number;
}

export interface DrainResult {
  /** Requests in flight on the draining endpoints when the drain began. */
  inFlightAtStart: number;
  /** Requests still in flight when the drain ended (0 unless it timed out). */
  inFlightAtEnd: number;
  elapsedMs: number;
}

/**
 * Sends an app's traffic to its live release; null for engines that route by themselves. The
 * app is named by its stable key (the application id), so a rename changes nothing here.
 */
export interface TrafficRouter {
  /**
   * Sends the app's new requests to exactly these endpoints, all at once; endpoints that served
   * before and are not among them drain (finish what they have, get nothing new). Idempotent.
   */
  route(app: string, endpoints: string[]): Promise<RouteResult>;
  /**
   * Waits until the app's draining endpoints have no request in flight, or timeoutMs passed or
   * the signal aborted, then takes them out of the app's backend.
   */
  drain(app: string, options: { timeoutMs: number; signal?: AbortSignal }): Promise<DrainResult>;
}

export interface OwnedWorkload {
  ref: string;
  /** The deployment it was created for; null when it names none (then no deployment owns it). */
  deploymentId: string | null;
  /**
   * When it is one replica of a release's set: the set's ref (what a release row stores), so a
   * live set's members are not mistaken for orphans. Absent for a workload that is its own ref.
   */
  setRef?: string;
}

export interface Inventory {
  /** Every workload this installation owns, or only those of one deployment. */
  list(filter?: { deploymentId: string }): Promise<OwnedWorkload[]>;
  /** Removes a workload; one already gone is not an error. */
  remove(ref: string): Promise<void>;
}

export interface Engine {
  /** Stored with each release ("docker"), so a release names the engine that runs it. */
  readonly name: string;
  readonly images: ImageSource;
  readonly tasks: TaskRunner;
  readonly web: WebBackend;
  readonly router: TrafficRouter | null;
  readonly inventory: Inventory;
}
