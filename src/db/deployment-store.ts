import { workloadHealths, type WorkloadHealth } from '../engine/engine.js';
import { deploymentSettingsSnapshotSchema } from '../schemas/deployment.js';
import type {
  ClaimedDeployment,
  DeploymentStore,
  LiveRelease,
  PlannedStep,
  RecoveryStore,
  RetainedRelease,
  StoredStep,
} from '../pipeline/deployment-store.js';
import type pg from 'pg';
import { sqlOf, type Database } from './prisma-client.js';
import { openRunSecrets } from './run-secrets.js';
import { appHostnames } from '../domain/app-hostnames.js';

interface ClaimRow {
  status: string;
  worker_id: string | null;
  image: string;
  settings: unknown;
  env_snapshot: unknown;
  app: string;
  blocked: boolean;
  kind: string;
  rollback_of: string | null;
  image_id: string | null;
  image_digest: string | null;
  run_release_commands: boolean;
}

const deploymentStatuses = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;

function toDeploymentStatus(value: string): (typeof deploymentStatuses)[number] {
  const status = deploymentStatuses.find((candidate) => candidate === value);
  if (status === undefined) throw new Error(`unknown deployment status ${value}`);
  return status;
}

/** Positions are shifted through negative numbers so the (deployment, position) key never clashes. */
const shiftOffset = 1_000_000;

/** `secretKey` (SLIPWAY_SECRET_KEY) opens the secrets a claimed deployment runs with. */
export function createDeploymentStore(
  db: Database,
  secretKey: Buffer,
  /** SLIPWAY_BASE_DOMAIN: gives each app its default hostname. */
  baseDomain: string | null = null,
): DeploymentStore {
  return {
    async claim(deploymentId, workerId) {
      const claim = await claimInTransaction(sqlOf(db), deploymentId, workerId, baseDomain);
      if (claim.outcome !== 'claimed') return claim;
      const secrets = await openRunSecrets(db, secretKey, claim.deployment, claim.sealedEnv);
      return { outcome: 'claimed', deployment: { ...claim.deployment, ...secrets } };
    },

    async heartbeat(deploymentId, workerId) {
      const rows = await db.deployment.updateManyAndReturn({
        where: { id: deploymentId, status: 'running', workerId },
        data: { heartbeatAt: new Date() },
        select: { cancelRequestedAt: true },
      });
      const row = rows[0];
      return { owned: row !== undefined, cancelRequested: row?.cancelRequestedAt != null };
    },

    async addSteps(deploymentId, steps, afterPosition) {
      // Appending (every deployment's start): one statement, on the way to its first step.
      if (afterPosition === undefined) return appendSteps(sqlOf(db), deploymentId, steps);
      return db.$transaction(async (tx) => {
        const first = afterPosition + 1;
        await tx.$executeRaw`
          UPDATE deployment_steps SET position = -(position + ${steps.length} + ${shiftOffset})
          WHERE deployment_id = ${deploymentId}::uuid AND position > ${afterPosition}`;
        await tx.$executeRaw`
          UPDATE deployment_steps SET position = -position - ${shiftOffset}
          WHERE deployment_id = ${deploymentId}::uuid AND position < 0`;
        const rows = await tx.deploymentStep.createManyAndReturn({
          data: steps.map((step, index) => ({
            deploymentId,
            position: first + index,
            kind: step.kind,
            label: step.label.slice(0, 200),
            source: step.source,
            command: step.command,
          })),
          select: { id: true, position: true },
        });
        return matchStored(steps, first, rows);
      });
    },

    async startStep(stepId) {
      const startedAt = new Date();
      const result = await sqlOf(db).query(
        `UPDATE deployment_steps SET status = 'running', started_at = $2 WHERE id = $1`,
        [stepId, startedAt],
      );
      if (result.rowCount === 0) throw new Error(`deployment step ${stepId} does not exist`);
    },

    async finishStep(stepId, outcome) {
      // The duration is computed from the stored start in the same statement: no read first.
      const finishedAt = new Date();
      const updated = await db.$executeRaw`
        UPDATE deployment_steps SET
          status = ${outcome.status}::step_status,
          finished_at = ${finishedAt},
          duration_ms = CASE WHEN started_at IS NULL THEN 0 ELSE
            round(extract(epoch FROM (${finishedAt}::timestamptz - started_at)) * 1000)::int END,
          exit_code = ${outcome.exitCode ?? null}::int,
          error = ${outcome.error ?? null}::text
        WHERE id = ${stepId}::uuid`;
      if (updated === 0) throw new Error(`deployment step ${stepId} does not exist`);
    },

    async skipPendingSteps(deploymentId) {
      await db.deploymentStep.updateMany({
        where: { deploymentId, status: 'pending' },
        data: { status: 'skipped' },
      });
    },

    async recordImage(deploymentId, imageId, digest) {
      await db.deployment.update({
        where: { id: deploymentId },
        data: { imageId, imageDigest: digest },
      });
    },

    async currentRelease(applicationId) {
      const row = await db.release.findUnique({ where: { applicationId } });
      return row === null ? null : toLiveRelease(row);
    },

    async activateRelease(release) {
      return db.$transaction(async (tx): Promise<LiveRelease | null> => {
        const previous = await tx.release.findUnique({
          where: { applicationId: release.applicationId },
        });
        const data = {
          deploymentId: release.deploymentId,
          image: release.image,
          imageId: release.imageId,
          engine: release.engine,
          workloadRef: release.workloadRef,
          // The single endpoint of the releases before replicas: replica 1's.
          endpoint: release.endpoints[0] ?? '',
          endpoints: release.endpoints,
          webPort: release.webPort,
          envFingerprint: release.envFingerprint,
          activatedAt: new Date(),
          // Just passed its probe.
          health: 'running',
          healthCheckedAt: null,
        };
        await tx.release.upsert({
          where: { applicationId: release.applicationId },
          create: { applicationId: release.applicationId, ...data },
          update: data,
        });
        // A retained workload started again by a rollback is live now, no longer kept.
        await tx.retainedRelease.deleteMany({ where: { workloadRef: release.workloadRef } });
        return previous === null ? null : toLiveRelease(previous);
      });
    },

    async finishDeployment(deploymentId, status, failureReason) {
      await db.deployment.updateMany({
        where: { id: deploymentId, status: { in: ['queued', 'running'] } },
        data: { status, failureReason, finishedAt: new Date() },
      });
    },

    async retainedRelease(deploymentId) {
      const row = await db.retainedRelease.findUnique({ where: { deploymentId } });
      return row === null ? null : toLiveRelease(row);
    },

    async retainRelease(applicationId, release) {
      const data = {
        applicationId,
        workloadRef: release.workloadRef,
        imageId: release.imageId,
        webPort: release.webPort,
        envFingerprint: release.envFingerprint,
      };
      await db.$transaction([
        // The same workload under another deployment's record (never expected) is replaced.
        db.retainedRelease.deleteMany({
          where: { workloadRef: release.workloadRef, deploymentId: { not: release.deploymentId } },
        }),
        db.retainedRelease.upsert({
          where: { deploymentId: release.deploymentId },
          create: { deploymentId: release.deploymentId, ...data },
          update: { ...data, retainedAt: new Date() },
        }),
      ]);
    },

    async retainedReleases(applicationId) {
      const rows = await db.retainedRelease.findMany({
        where: { applicationId },
        orderBy: [{ retainedAt: 'desc' }, { deploymentId: 'asc' }],
      });
      return rows.map(toLiveRelease);
    },

    async forgetRetained(workloadRef) {
      await db.retainedRelease.deleteMany({ where: { workloadRef } });
    },
  };
}

function toLiveRelease(row: {
  deploymentId: string;
  workloadRef: string;
  imageId: string;
  webPort: number;
  envFingerprint: string | null;
}): RetainedRelease {
  return {
    deploymentId: row.deploymentId,
    workloadRef: row.workloadRef,
    imageId: row.imageId,
    webPort: row.webPort,
    envFingerprint: row.envFingerprint,
  };
}

/** Stored steps in plan order; rows are matched back by position, which is unique. */
function matchStored(
  steps: readonly PlannedStep[],
  first: number,
  rows: readonly { id: string; position: number }[],
): StoredStep[] {
  const idAt = new Map(rows.map((row) => [row.position, row.id]));
  return steps.map((step, index): StoredStep => {
    const position = first + index;
    const id = idAt.get(position);
    if (id === undefined) throw new Error(`step at position ${position} was not stored`);
    return { ...step, id, position };
  });
}

/** Appends steps after the existing ones in one INSERT (atomic: no transaction needed). */
async function appendSteps(
  pool: pg.Pool,
  deploymentId: string,
  steps: readonly PlannedStep[],
): Promise<StoredStep[]> {
  const result = await pool.query<{ id: string; position: number; first: number }>(
    `INSERT INTO deployment_steps (id, deployment_id, position, kind, label, source, command)
     SELECT gen_random_uuid(), $1, base.first + planned.ordinal - 1, planned.kind::step_kind,
            planned.label, planned.source, planned.command
     FROM (SELECT COALESCE(MAX(position), -1) + 1 AS first
           FROM deployment_steps WHERE deployment_id = $1) AS base,
          unnest($2::text[], $3::text[], $4::text[], $5::text[])
            WITH ORDINALITY AS planned(kind, label, source, command, ordinal)
     RETURNING id::text AS id, position`,
    [
      deploymentId,
      steps.map((step) => step.kind),
      steps.map((step) => step.label.slice(0, 200)),
      steps.map((step) => step.source),
      steps.map((step) => step.command),
    ],
  );
  const first = Math.min(...result.rows.map((row) => row.position));
  return matchStored(steps, steps.length === 0 ? 0 : first, result.rows);
}

type ClaimInTransaction =
  | Exclude<Awaited<ReturnType<DeploymentStore['claim']>>, { outcome: 'claimed' }>
  | {
      outcome: 'claimed';
      deployment: Omit<ClaimedDeployment, 'env' | 'secretValues' | 'registryCredentials'>;
      sealedEnv: unknown;
    };

/**
 * The claim, in one transaction of four statements on a plain pg connection: it is what runs
 * between a job arriving and the deployment's first step. One claim at a time per application
 * (an advisory lock), so two workers can never both pass the "no earlier deployment" check.
 */
async function claimInTransaction(
  pool: pg.Pool,
  deploymentId: string,
  workerId: string,
  baseDomain: string | null,
): Promise<ClaimInTransaction> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    try {
      const outcome = await claimSteps(client, deploymentId, workerId, baseDomain);
      await client.query('COMMIT');
      return outcome;
    } catch (error) {
      await client.query('ROLLBACK').catch((rollbackError: unknown) => {
        // The connection is in an unknown state: discarded below, never reused.
        broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
      });
      throw error;
    }
  } finally {
    client.release(broken);
  }
}

async function claimSteps(
  client: pg.PoolClient,
  deploymentId: string,
  workerId: string,
  baseDomain: string | null,
): Promise<ClaimInTransaction> {
  // The application of a deployment never changes, so reading it in the statement that takes
  // the lock is safe; everything else is read afresh once the lock is held.
  const locked = await client.query<{ application_id: string }>(
    `SELECT d.application_id::text AS application_id
     FROM deployments d,
          LATERAL (SELECT pg_advisory_xact_lock(hashtext(d.application_id::text))) AS lock
     WHERE d.id = $1`,
    [deploymentId],
  );
  const applicationId = locked.rows[0]?.application_id;
  if (applicationId === undefined) return { outcome: 'not-claimable', status: 'missing' };
  const rows = await client.query<ClaimRow>(
    `SELECT d.status::text AS status, d.worker_id, d.image, d.settings, d.env_snapshot,
            d.kind::text AS kind, d.rollback_of::text AS rollback_of, d.image_id, d.image_digest,
            d.run_release_commands, a.name AS app,
            EXISTS (SELECT 1 FROM deployments e
                    WHERE e.application_id = d.application_id AND e.sequence < d.sequence
                      AND e.status IN ('queued', 'running')) AS blocked
     FROM deployments d JOIN applications a ON a.id = d.application_id
     WHERE d.id = $1`,
    [deploymentId],
  );
  const fresh = rows.rows[0];
  if (fresh === undefined) return { outcome: 'not-claimable', status: 'missing' };
  const status = toDeploymentStatus(fresh.status);
  // This worker's own claim whose answer a dropped connection lost: the retried claim takes it
  // up again (the runner never runs one deployment twice at once).
  const reclaim = status === 'running' && fresh.worker_id === workerId;
  if (status !== 'queued' && !reclaim) return { outcome: 'not-claimable', status };
  if (!reclaim) {
    if (fresh.blocked) return { outcome: 'blocked' };
    const now = new Date();
    await client.query(
      `UPDATE deployments SET status = 'running', started_at = $2, worker_id = $3,
         heartbeat_at = $2 WHERE id = $1`,
      [deploymentId, now, workerId],
    );
  }
  return {
    outcome: 'claimed',
    deployment: {
      id: deploymentId,
      app: fresh.app,
      applicationId,
      image: fresh.image,
      settings: deploymentSettingsSnapshotSchema.parse(fresh.settings),
      rollback:
        fresh.kind === 'rollback' && fresh.rollback_of !== null && fresh.image_id !== null
          ? {
              deploymentId: fresh.rollback_of,
              imageId: fresh.image_id,
              digest: fresh.image_digest,
              runReleaseCommands: fresh.run_release_commands,
            }
          : null,
      hostnames: await claimedHostnames(client, fresh.app, applicationId, baseDomain),
    },
    sealedEnv: fresh.env_snapshot,
  };
}

export function createRecoveryStore(db: Database): RecoveryStore {
  return {
    async findLost(staleBefore) {
      const rows = await db.deployment.findMany({
        where: {
          status: 'running',
          OR: [{ heartbeatAt: null }, { heartbeatAt: { lt: staleBefore } }],
        },
        include: {
          steps: { where: { status: 'running' }, orderBy: { position: 'asc' }, take: 1 },
          release: { select: { deploymentId: true } },
        },
      });
      return rows.map((row) => {
        const step = row.steps[0];
        return {
          id: row.id,
          applicationId: row.applicationId,
          runningStep:
            step === undefined ? null : { id: step.id, label: step.label, kind: step.kind },
          isLive: row.release !== null,
        };
      });
    },

    async endLost(lost, staleBefore, outcome) {
      return db.$transaction(async (tx) => {
        const now = new Date();
        const ended = await tx.deployment.updateMany({
          where: {
            id: lost.id,
            status: 'running',
            OR: [{ heartbeatAt: null }, { heartbeatAt: { lt: staleBefore } }],
          },
          data: { status: outcome.status, failureReason: outcome.reason, finishedAt: now },
        });
        if (ended.count === 0) return false;
        const running = await tx.deploymentStep.findMany({
          where: { deploymentId: lost.id, status: 'running' },
        });
        for (const step of running) {
          await tx.deploymentStep.update({
            where: { id: step.id },
            data: {
              status: outcome.status === 'succeeded' ? 'succeeded' : 'failed',
              error: outcome.status === 'succeeded' ? null : outcome.stepError,
              finishedAt: now,
              durationMs: step.startedAt === null ? 0 : now.getTime() - step.startedAt.getTime(),
            },
          });
        }
        await tx.deploymentStep.updateMany({
          where: { deploymentId: lost.id, status: 'pending' },
          data: { status: 'skipped' },
        });
        return true;
      });
    },

    async findQueued(before) {
      const rows = await db.deployment.findMany({
        where: { status: 'queued', createdAt: { lt: before } },
        orderBy: { sequence: 'asc' },
        select: { id: true },
        take: 1000,
      });
      return rows.map((row) => row.id);
    },

    async liveReleases() {
      const rows = await db.release.findMany({
        select: { applicationId: true, deploymentId: true, workloadRef: true, health: true },
        orderBy: { applicationId: 'asc' },
      });
      return rows.map((row) => ({ ...row, health: toHealth(row.health) }));
    },

    async recordReleaseHealth(applicationId, workloadRef, health) {
      // Only for the release that was checked: a deploy may have replaced it meanwhile.
      await db.release.updateMany({
        where: { applicationId, workloadRef },
        data: { health, healthCheckedAt: new Date() },
      });
    },

    async workloadOwnership(deploymentIds) {
      const rows = await db.deployment.findMany({
        where: { id: { in: deploymentIds } },
        select: { id: true, status: true, release: { select: { workloadRef: true } } },
      });
      return new Map(
        rows.map((row) => [
          row.id,
          {
            active: row.status === 'queued' || row.status === 'running',
            liveWorkloadRef: row.release?.workloadRef ?? null,
          },
        ]),
      );
    },

    async keptWorkloadRefs() {
      const [live, retained] = await Promise.all([
        db.release.findMany({ select: { workloadRef: true } }),
        db.retainedRelease.findMany({ select: { workloadRef: true } }),
      ]);
      return new Set([...live, ...retained].map((row) => row.workloadRef));
    },

    async forgetRetainedExcept(presentRefs) {
      const gone = await db.retainedRelease.deleteMany({
        where: { workloadRef: { notIn: presentRefs } },
      });
      return gone.count;
    },
  };
}

function toHealth(value: string): WorkloadHealth {
  return workloadHealths.find((health) => health === value) ?? 'missing';
}

/** One query: the app's own hostnames, and whether its default one was given to another app. */
async function claimedHostnames(
  client: pg.PoolClient,
  name: string,
  applicationId: string,
  baseDomain: string | null,
): Promise<string[]> {
  const fallback = baseDomain === null ? null : `${name}.${baseDomain}`;
  const { rows } = await client.query<{ hostname: string; application_id: string }>(
    `SELECT hostname, application_id::text AS application_id FROM domains
     WHERE application_id = $1 OR hostname = $2`,
    [applicationId, fallback],
  );
  return appHostnames({
    name,
    own: rows.filter((row) => row.application_id === applicationId).map((row) => row.hostname),
    baseDomain,
    givenElsewhere: (hostname) =>
      rows.some((row) => row.hostname === hostname && row.application_id !== applicationId),
  });
}
