import { workloadHealths, type WorkloadHealth } from '../engine/engine.js';
import { deploymentSettingsSnapshotSchema } from '../schemas/deployment.js';
import type {
  DeploymentStore,
  LiveRelease,
  RecoveryStore,
  StoredStep,
} from '../pipeline/deployment-store.js';
import type { Database } from './prisma-client.js';
import { openRunSecrets } from './run-secrets.js';

interface ClaimRow {
  status: string;
  worker_id: string | null;
  image: string;
  settings: unknown;
  env_snapshot: unknown;
  app: string;
  blocked: boolean;
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
export function createDeploymentStore(db: Database, secretKey: Buffer): DeploymentStore {
  return {
    async claim(deploymentId, workerId) {
      // Three statements in the transaction (lock, read, claim): what runs here is the time
      // between a job arriving and its first step starting.
      const claim = await db.$transaction(async (tx) => {
        // One claim at a time per application, so two workers can never both pass the check
        // below. The application of a deployment never changes, so reading it in the statement
        // that takes the lock is safe; everything else is read afresh once the lock is held.
        const locked = await tx.$queryRaw<{ application_id: string }[]>`
          SELECT d.application_id::text AS application_id
          FROM deployments d,
               LATERAL (SELECT pg_advisory_xact_lock(hashtext(d.application_id::text))) AS lock
          WHERE d.id = ${deploymentId}::uuid`;
        if (locked.length === 0) return { outcome: 'not-claimable', status: 'missing' } as const;
        const rows = await tx.$queryRaw<ClaimRow[]>`
          SELECT d.status::text AS status, d.worker_id, d.image, d.settings, d.env_snapshot,
                 a.name AS app,
                 EXISTS (SELECT 1 FROM deployments e
                         WHERE e.application_id = d.application_id AND e.sequence < d.sequence
                           AND e.status IN ('queued', 'running')) AS blocked
          FROM deployments d JOIN applications a ON a.id = d.application_id
          WHERE d.id = ${deploymentId}::uuid`;
        const fresh = rows[0];
        if (fresh === undefined) return { outcome: 'not-claimable', status: 'missing' } as const;
        const status = toDeploymentStatus(fresh.status);
        // This worker's own claim whose answer a dropped connection lost: the retried claim takes
        // it up again (the runner never runs one deployment twice at once).
        const reclaim = status === 'running' && fresh.worker_id === workerId;
        if (status !== 'queued' && !reclaim) {
          return { outcome: 'not-claimable', status } as const;
        }
        if (!reclaim) {
          if (fresh.blocked) return { outcome: 'blocked' } as const;
          const now = new Date();
          await tx.deployment.update({
            where: { id: deploymentId },
            data: { status: 'running', startedAt: now, workerId, heartbeatAt: now },
            select: { id: true },
          });
        }
        return {
          outcome: 'claimed',
          deployment: {
            id: deploymentId,
            app: fresh.app,
            applicationId: locked[0]?.application_id ?? '',
            image: fresh.image,
            settings: deploymentSettingsSnapshotSchema.parse(fresh.settings),
          },
          sealedEnv: fresh.env_snapshot,
        } as const;
      });
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
      return db.$transaction(async (tx) => {
        let first: number;
        if (afterPosition === undefined) {
          const last = await tx.deploymentStep.aggregate({
            where: { deploymentId },
            _max: { position: true },
          });
          first = (last._max.position ?? -1) + 1;
        } else {
          first = afterPosition + 1;
          await tx.$executeRaw`
            UPDATE deployment_steps SET position = -(position + ${steps.length} + ${shiftOffset})
            WHERE deployment_id = ${deploymentId}::uuid AND position > ${afterPosition}`;
          await tx.$executeRaw`
            UPDATE deployment_steps SET position = -position - ${shiftOffset}
            WHERE deployment_id = ${deploymentId}::uuid AND position < 0`;
        }
        // One INSERT for all of them; rows are matched back by position, which is unique.
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
        const idAt = new Map(rows.map((row) => [row.position, row.id]));
        return steps.map((step, index): StoredStep => {
          const position = first + index;
          const id = idAt.get(position);
          if (id === undefined) throw new Error(`step at position ${position} was not stored`);
          return { ...step, id, position };
        });
      });
    },

    async startStep(stepId) {
      await db.deploymentStep.update({
        where: { id: stepId },
        data: { status: 'running', startedAt: new Date() },
      });
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
      return row === null ? null : { deploymentId: row.deploymentId, workloadRef: row.workloadRef };
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
          endpoint: release.endpoint,
          webPort: release.webPort,
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
        return previous === null
          ? null
          : { deploymentId: previous.deploymentId, workloadRef: previous.workloadRef };
      });
    },

    async finishDeployment(deploymentId, status, failureReason) {
      await db.deployment.updateMany({
        where: { id: deploymentId, status: { in: ['queued', 'running'] } },
        data: { status, failureReason, finishedAt: new Date() },
      });
    },
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
  };
}

function toHealth(value: string): WorkloadHealth {
  return workloadHealths.find((health) => health === value) ?? 'missing';
}
