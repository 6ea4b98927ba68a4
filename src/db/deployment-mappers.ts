import type {
  Deployment as DeploymentRow,
  DeploymentStep as StepRow,
  Release as ReleaseRow,
} from '../generated/prisma/client.js';
import type {
  Deployment,
  DeploymentStep,
  DeploymentSummary,
  Release,
} from '../schemas/deployment.js';
import { deploymentSettingsSnapshotSchema } from '../schemas/deployment.js';
import type { RollbackSource } from '../services/ports.js';

const iso = (value: Date | null): string | null => (value === null ? null : value.toISOString());

export function toStep(row: StepRow): DeploymentStep {
  return {
    id: row.id,
    kind: row.kind,
    label: row.label,
    position: row.position,
    source: row.source === 'image' || row.source === 'app' ? row.source : null,
    status: row.status,
    startedAt: iso(row.startedAt),
    finishedAt: iso(row.finishedAt),
    durationMs: row.durationMs,
    exitCode: row.exitCode,
    error: row.error,
  };
}

/** The columns of a deployment row a summary is made of. */
export type SummaryFields = Pick<
  DeploymentRow,
  | 'id'
  | 'kind'
  | 'rollbackOf'
  | 'image'
  | 'status'
  | 'imageId'
  | 'failureReason'
  | 'createdAt'
  | 'startedAt'
  | 'finishedAt'
>;

export function toSummary(row: SummaryFields, app: string): DeploymentSummary {
  return {
    id: row.id,
    app,
    kind: row.kind,
    rollbackOf: row.rollbackOf,
    image: row.image,
    status: row.status,
    imageId: row.imageId,
    failureReason: row.failureReason,
    createdAt: row.createdAt.toISOString(),
    startedAt: iso(row.startedAt),
    finishedAt: iso(row.finishedAt),
  };
}

export function toDeployment(row: SummaryFields, app: string, steps: StepRow[]): Deployment {
  return { ...toSummary(row, app), steps: steps.map(toStep) };
}

export function toRelease(row: ReleaseRow, app: string): Release {
  return {
    app,
    deploymentId: row.deploymentId,
    image: row.image,
    imageId: row.imageId,
    workload: { engine: row.engine, ref: row.workloadRef },
    endpoint: row.endpoint,
    // A row written before replicas has only its one endpoint.
    endpoints: row.endpoints.length > 0 ? row.endpoints : [row.endpoint],
    replicas: Math.max(1, row.endpoints.length),
    webPort: row.webPort,
    // The fields of the Docker-only days, derived for clients that still read them.
    containerId: row.workloadRef,
    containerPort: row.webPort,
    hostPort: endpointPort(row.endpoint),
    activatedAt: row.activatedAt.toISOString(),
    health: row.health === 'exited' || row.health === 'missing' ? row.health : 'running',
    healthCheckedAt: iso(row.healthCheckedAt),
  };
}

/** The port of an endpoint URL (its scheme's default when it names none). */
function endpointPort(endpoint: string): number {
  const url = URL.parse(endpoint);
  if (url === null) return 0;
  if (url.port !== '') return Number(url.port);
  return url.protocol === 'https:' ? 443 : 80;
}

export function toRollbackSource(row: DeploymentRow): RollbackSource {
  return {
    id: row.id,
    applicationId: row.applicationId,
    sequence: row.sequence,
    status: row.status,
    imageId: row.imageId,
    image: row.image,
    imageDigest: row.imageDigest,
    settings: deploymentSettingsSnapshotSchema.parse(row.settings),
  };
}
