import type {
  DeploymentSettingsSnapshot,
  DeploymentStatus,
  StepKind,
  StepStatus,
} from '../schemas/deployment.js';
import type { RegistryCredentials, WorkloadHealth } from '../engine/engine.js';

export interface PlannedStep {
  kind: StepKind;
  label: string;
  source: 'image' | 'app' | null;
  command: string | null;
}

export interface StoredStep extends PlannedStep {
  id: string;
  position: number;
}

export interface LiveRelease {
  deploymentId: string;
  /** The engine's reference to the release's workload. */
  workloadRef: string;
  imageId: string;
  /** Port the web process listens on inside its workload. */
  webPort: number;
  /** What its workload's variables were (env-fingerprint.ts); null for releases from before it. */
  envFingerprint: string | null;
}

/** A previous release whose workload is stopped but kept for a rollback. */
export type RetainedRelease = LiveRelease;

/** What a rollback deployment brings back. */
export interface RollbackTarget {
  /** The deployment whose release comes back. */
  deploymentId: string;
  imageId: string;
  /** Pulled by this digest only when the image id is no longer on the host. */
  digest: string | null;
  /** Whether the target's release commands run again (default: no, migrations are not reversed). */
  runReleaseCommands: boolean;
}

export interface ClaimedDeployment {
  id: string;
  app: string;
  applicationId: string;
  image: string;
  settings: DeploymentSettingsSnapshot;
  /** Set for a rollback: the release it brings back; null for a deploy. */
  rollback: RollbackTarget | null;
  /** The app's hostnames on the ingress, primary first (src/domain/app-hostnames.ts); may be empty. */
  hostnames: string[];
  /** Env vars of the release-command and web containers, as of the trigger; secrets opened. */
  env: Record<string, string>;
  /** Values masked as ***** in the deployment's log (secret env values, registry password). */
  secretValues: string[];
  /** Credentials for pulling the image, when the app has some for its registry. */
  registryCredentials: RegistryCredentials | null;
}

export type ClaimResult =
  | { outcome: 'claimed'; deployment: ClaimedDeployment }
  /** An earlier deployment of the same app is still queued or running. */
  | { outcome: 'blocked' }
  /** Already running elsewhere or finished: nothing to do. */
  | { outcome: 'not-claimable'; status: DeploymentStatus | 'missing' };

export interface StepOutcome {
  status: Extract<StepStatus, 'succeeded' | 'failed' | 'cancelled'>;
  exitCode?: number | null;
  error?: string | null;
}

export interface ReleaseToActivate {
  deploymentId: string;
  applicationId: string;
  image: string;
  imageId: string;
  /** The engine that runs it ("docker"), its workload, and where it answers HTTP. */
  engine: string;
  workloadRef: string;
  /** Where each replica answers, replica 1 first. */
  endpoints: string[];
  /** Port the web process listens on inside its workload. */
  webPort: number;
  envFingerprint: string | null;
}

/** The worker's view of PostgreSQL. Every write is a single, idempotent statement or transaction. */
export interface DeploymentStore {
  /** Atomically moves a queued deployment to running, owned by this worker. */
  claim(deploymentId: string, workerId: string): Promise<ClaimResult>;
  /**
   * Proves the owning worker is alive. Reports whether a cancel was requested, and whether the
   * deployment is still running under this worker (false once a reconciler gave it up).
   */
  heartbeat(
    deploymentId: string,
    workerId: string,
  ): Promise<{ cancelRequested: boolean; owned: boolean }>;
  /** Appends steps after the existing ones, or after `afterPosition` (later steps shift down). */
  addSteps(
    deploymentId: string,
    steps: PlannedStep[],
    afterPosition?: number,
  ): Promise<StoredStep[]>;
  startStep(stepId: string): Promise<void>;
  finishStep(stepId: string, outcome: StepOutcome): Promise<void>;
  /** Marks every step still pending as skipped. */
  skipPendingSteps(deploymentId: string): Promise<void>;
  recordImage(deploymentId: string, imageId: string, digest: string | null): Promise<void>;
  currentRelease(applicationId: string): Promise<LiveRelease | null>;
  /** Makes the release live; returns the one it replaced. */
  activateRelease(release: ReleaseToActivate): Promise<LiveRelease | null>;
  finishDeployment(
    deploymentId: string,
    status: Extract<DeploymentStatus, 'succeeded' | 'failed' | 'cancelled'>,
    failureReason: string | null,
  ): Promise<void>;
  /** The retained workload of a deployment's release, if it is kept. */
  retainedRelease(deploymentId: string): Promise<RetainedRelease | null>;
  /** Records a stopped previous release as kept (idempotent). */
  retainRelease(applicationId: string, release: RetainedRelease): Promise<void>;
  /** The app's retained releases, newest first. */
  retainedReleases(applicationId: string): Promise<RetainedRelease[]>;
  /** Drops the record of a retained workload (removed, or live again). */
  forgetRetained(workloadRef: string): Promise<void>;
}

export interface LogChunkToStore {
  deploymentId: string;
  stepId: string | null;
  part: 'head' | 'tail';
  text: string;
}

/** Append-only log storage, written in batches by the worker's log writer. */
export interface LogStore {
  /** Returns the ids of the stored chunks, in order. */
  append(chunks: LogChunkToStore[]): Promise<bigint[]>;
  /**
   * Drops a step's stored tail chunks up to and including `upToId` (none when null) and adds
   * `omittedBytes` to the step's count of output cut from the log.
   */
  dropTail(stepId: string, upToId: bigint | null, omittedBytes: number): Promise<void>;
}

export interface LostDeployment {
  id: string;
  applicationId: string;
  /** The step that was running when its worker went silent, if any. */
  runningStep: { id: string; label: string; kind: StepKind } | null;
  /** True when its release was already committed (live) before the worker died. */
  isLive: boolean;
}

/** What the reconciler needs to repair what crashed workers and a flushed Redis left behind. */
export interface RecoveryStore {
  /** Running deployments whose worker has not sent a heartbeat since `staleBefore`. */
  findLost(staleBefore: Date): Promise<LostDeployment[]>;
  /**
   * Ends a lost deployment (only if it is still running with a stale heartbeat): the running
   * step gets `stepError`, pending steps are skipped. Returns false if someone else got there first.
   */
  endLost(
    lost: LostDeployment,
    staleBefore: Date,
    outcome: { status: 'failed' | 'succeeded'; reason: string | null; stepError: string },
  ): Promise<boolean>;
  /** Deployments still queued that were created before `before`. */
  findQueued(before: Date): Promise<string[]>;
  /**
   * For each deployment id: whether it may still own workloads (queued or running), and the
   * workload of the app's live release if that release belongs to this deployment.
   */
  /** The live release of every app, with the health last recorded for it. */
  liveReleases(): Promise<
    { applicationId: string; deploymentId: string; workloadRef: string; health: WorkloadHealth }[]
  >;
  recordReleaseHealth(
    applicationId: string,
    workloadRef: string,
    health: WorkloadHealth,
  ): Promise<void>;
  workloadOwnership(
    deploymentIds: string[],
  ): Promise<Map<string, { active: boolean; liveWorkloadRef: string | null }>>;
  /**
   * Workloads kept whatever deployment they name: every live release's (a rollback makes a
   * workload created by an earlier deployment live) and every retained release's.
   */
  keptWorkloadRefs(): Promise<Set<string>>;
  /** Drops the records of retained releases whose workload is gone; returns how many. */
  forgetRetainedExcept(presentRefs: string[]): Promise<number>;
}
