import type { RollbackCandidate } from '../domain/rollback-target.js';
import type { DeploymentLogData } from '../domain/render-deployment-log.js';
import type { Application, CreateApplication, UpdateApplication } from '../schemas/application.js';
import type {
  CreateReleaseCommand,
  ReleaseCommand,
  UpdateReleaseCommand,
} from '../schemas/release-command.js';
import type {
  ResourceSettings,
  StartupProbeSettings,
  WebContainerSettings,
} from '../schemas/settings.js';
import type {
  Deployment,
  DeploymentSettingsSnapshot,
  DeploymentSummary,
  Release,
} from '../schemas/deployment.js';
import type { EnvSnapshot } from '../schemas/env-var.js';

/** An application with the settings stored on it. */
export interface ApplicationRecord extends Application {
  webContainer: WebContainerSettings;
  startupProbe: StartupProbeSettings;
  resources: ResourceSettings;
}

export interface ApplicationRepository {
  /** Throws AppError APP_NAME_TAKEN when the name exists. */
  create(input: CreateApplication): Promise<Application>;
  /** Sorted by name; `afterName` excludes everything up to and including that name. */
  list(options: { limit: number; afterName: string | undefined }): Promise<Application[]>;
  findByName(name: string): Promise<ApplicationRecord | null>;
  /** Null when the app does not exist. Throws APP_NAME_TAKEN on a rename clash. */
  update(name: string, patch: UpdateApplication): Promise<Application | null>;
  /** Refuses ("busy") while a deployment of the app is queued or running. */
  delete(name: string): Promise<'deleted' | 'missing' | 'busy'>;
  /**
   * Read-modify-write of the settings under a row lock, so concurrent partial updates never lose
   * each other's fields. `change` may throw to abort. Null when the app does not exist.
   */
  updateSettings(
    name: string,
    change: (current: ApplicationRecord) => {
      webContainer?: WebContainerSettings;
      startupProbe?: StartupProbeSettings;
      resources?: ResourceSettings;
    },
  ): Promise<ApplicationRecord | null>;
}

export interface ReleaseCommandRepository {
  list(applicationId: string): Promise<ReleaseCommand[]>;
  find(applicationId: string, id: string): Promise<ReleaseCommand | null>;
  /**
   * Appends at the end; `assertCanAppend` sees the current count under the app's lock.
   * Null when the application no longer exists.
   */
  append(
    applicationId: string,
    input: CreateReleaseCommand,
    assertCanAppend: (currentCount: number) => void,
  ): Promise<ReleaseCommand | null>;
  update(
    applicationId: string,
    id: string,
    patch: UpdateReleaseCommand,
  ): Promise<ReleaseCommand | null>;
  /** Removes the command and closes the gap in positions. */
  delete(applicationId: string, id: string): Promise<boolean>;
  /**
   * `assertValid` sees the current ids (in order) under the app's lock and may throw.
   * Null when the application no longer exists.
   */
  reorder(
    applicationId: string,
    ids: readonly string[],
    assertValid: (currentIds: readonly string[]) => void,
  ): Promise<ReleaseCommand[] | null>;
}

export interface HealthProbe {
  name: string;
  /** Resolves when the dependency answers, rejects otherwise. */
  check(): Promise<void>;
}

export interface RollbackSource extends RollbackCandidate {
  image: string;
  imageDigest: string | null;
  settings: DeploymentSettingsSnapshot;
}

export interface IdempotencyRecord {
  deployment: Deployment;
  fingerprint: string | null;
  createdAt: Date;
}

export type CancelResult = 'cancelled' | 'requested' | 'finished' | 'missing';

export interface DeploymentRepository {
  /**
   * Stores a new queued deployment. With an idempotency key, returns null instead when another
   * deployment of the app already holds that key (the caller then reads that one).
   */
  create(input: {
    applicationId: string;
    app: string;
    image: string;
    settings: DeploymentSettingsSnapshot;
    /** The app's env vars at trigger time, secret values still sealed. */
    envSnapshot: EnvSnapshot;
    idempotency?: { key: string; fingerprint: string };
    /** Makes it a rollback deployment that brings back this release's image. */
    rollback?: {
      of: string;
      imageId: string;
      imageDigest: string | null;
      runReleaseCommands: boolean;
    };
  }): Promise<Deployment | null>;
  /** A deployment as a rollback would use it; null when there is none with that id. */
  findRollbackSource(id: string): Promise<RollbackSource | null>;
  /**
   * The deployment of the app's live release (null without one), and the app's succeeded
   * deployments with a known image id triggered before it, newest first (at most `limit`).
   */
  rollbackHistory(
    applicationId: string,
    limit: number,
  ): Promise<{ live: RollbackSource | null; earlier: RollbackSource[] }>;
  findByIdempotencyKey(applicationId: string, key: string): Promise<IdempotencyRecord | null>;
  /** Frees an expired key so a new request can use it. */
  releaseIdempotencyKey(deploymentId: string): Promise<void>;
  /** queued → cancelled at once; running → cancel requested (the worker stops it). */
  requestCancel(id: string): Promise<CancelResult>;
  /** Fails a deployment that has not finished yet (no-op otherwise). */
  markFailed(id: string, reason: string): Promise<void>;
  findById(id: string): Promise<Deployment | null>;
  /** Newest first. */
  listForApp(
    applicationId: string,
    app: string,
    options: { limit: number; beforeSequence: bigint | undefined },
  ): Promise<(DeploymentSummary & { sequence: bigint })[]>;
  findRelease(applicationId: string, app: string): Promise<Release | null>;
  readLog(id: string): Promise<DeploymentLogData | null>;
  hasActiveDeployment(applicationId: string): Promise<boolean>;
}

/** Hands a stored deployment to the workers. Idempotent: the job id is the deployment id. */
export interface DeploymentQueue {
  enqueue(deploymentId: string): Promise<void>;
}

export interface DeploymentStats {
  countByStatus(): Promise<
    Record<'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled', number>
  >;
  oldestQueuedAt(): Promise<Date | null>;
}

export interface LogChunkRecord {
  id: bigint;
  stepId: string | null;
  text: string;
}

/** What a log follower polls: new output, and the deployment's and steps' current state. */
export interface DeploymentProgressReader {
  /** Null when the deployment does not exist. */
  progress(deploymentId: string): Promise<Deployment | null>;
  chunksAfter(deploymentId: string, afterId: bigint, limit: number): Promise<LogChunkRecord[]>;
}

export type { DeploymentLogData, StoredLogChunk } from '../domain/render-deployment-log.js';

export interface StoredDomain {
  hostname: string;
  createdAt: Date;
}

export interface DomainRepository {
  /** Sorted by hostname. */
  list(applicationId: string): Promise<StoredDomain[]>;
  /**
   * Gives the hostname to the app under the app's lock. Throws AppError DOMAIN_TAKEN when another
   * app holds it, or when `defaultOf` names an existing other app (whose default hostname it is);
   * `assertCanAdd` sees the app's current count when the hostname is new to it and may throw.
   */
  put(
    applicationId: string,
    hostname: string,
    options: { defaultOf: string | null; assertCanAdd: (currentCount: number) => void },
  ): Promise<{ domain: StoredDomain; created: boolean }>;
  /** False when the app did not have the hostname. */
  delete(applicationId: string, hostname: string): Promise<boolean>;
}
