import { workloadHealths, type WorkloadHealth } from '../engine/engine.js';
import { deploymentSettingsSnapshotSchema } from '../schemas/deployment.js';
import type {
  DeploymentStore,
  LiveRelease,
  RecoveryStore,
  StoredStep,
} from '../pipeline/deployment-store.js';
import type { Database, Transaction } from './prisma-client.js';
import { openRunSecrets } from './run-secrets.js';
import { appHostnames } from '../domain/app-hostnames.js';

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
      const claim = await db.$transaction(async (tx) => {
        const target = await tx.deployment.findUnique({
          where: { id: deploymentId },
          include: { application: { select: { name: true } } },
        });
        if (target === null) return { outcome: 'not-claimable', status: 'missing' } as const;
        // One claim at a time per application, so two workers can never both pass the check below.
        await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${target.applicationId}))`;
        const fresh = await tx.deployment.findUniqueOrThrow({ where: { id: deploymentId } });
        // This worker's own claim whose answer a dropped connection lost: the retried claim takes
        // it up again (the runner never runs one deployment twice at once).
        const reclaim = fresh.status === 'running' && fresh.workerId === workerId;
        if (fresh.status !== 'queued' && !reclaim) {
          return { outcome: 'not-claimable', status: fresh.status } as const;
        }
        if (!reclaim) {
          const earlier = await tx.deployment.count({
            where: {
              applicationId: fresh.applicationId,
              sequence: { lt: fresh.sequence },
              status: { in: ['queued', 'running'] },
            },
          });
          if (earlier > 0) return { outcome: 'blocked' } as const;
          const now = new Date();
          await tx.deployment.update({
            where: { id: deploymentId },
            data: { status: 'running', startedAt: now, workerId, heartbeatAt: now },
          });
        }
        return {
          outcome: 'claimed',
          deployment: {
            id: fresh.id,
            app: target.application.name,
            applicationId: fresh.applicationId,
            image: fresh.image,
            settings: deploymentSettingsSnapshotSchema.parse(fresh.settings),
            hostnames: await claimedHostnames(
              tx,
              target.application.name,
              fresh.applicationId,
              baseDomain,
            ),
          },
          sealedEnv: fresh.envSnapshot,
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
        const created: StoredStep[] = [];
        for (const [index, step] of steps.entries()) {
          const row = await tx.deploymentStep.create({
            data: {
              deploymentId,
              position: first + index,
              kind: step.kind,
              label: step.label.slice(0, 200),
              source: step.source,
              command: step.command,
            },
          });
          created.push({ ...step, id: row.id, position: row.position });
        }
        return created;
      });
    },

    async startStep(stepId) {
      await db.deploymentStep.update({
        where: { id: stepId },
        data: { status: 'running', startedAt: new Date() },
      });
    },

    async finishStep(stepId, outcome) {
      const step = await db.deploymentStep.findUniqueOrThrow({ where: { id: stepId } });
      const finishedAt = new Date();
      await db.deploymentStep.update({
        where: { id: stepId },
        data: {
          status: outcome.status,
          finishedAt,
          durationMs: step.startedAt === null ? 0 : finishedAt.getTime() - step.startedAt.getTime(),
          exitCode: outcome.exitCode ?? null,
          error: outcome.error ?? null,
        },
      });
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
          // The single endpoint of the releases before replicas: replica 1's.
          endpoint: release.endpoints[0] ?? '',
          endpoints: release.endpoints,
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

/** One query: the app's own hostnames, and whether its default one was given to another app. */
async function claimedHostnames(
  tx: Transaction,
  name: string,
  applicationId: string,
  baseDomain: string | null,
): Promise<string[]> {
  const fallback = baseDomain === null ? null : `${name}.${baseDomain}`;
  const rows = await tx.domain.findMany({
    where: {
      OR: [{ applicationId }, ...(fallback === null ? [] : [{ hostname: fallback }])],
    },
    select: { hostname: true, applicationId: true },
  });
  const own = rows.filter((row) => row.applicationId === applicationId);
  return appHostnames({
    name,
    own: own.map((row) => row.hostname),
    baseDomain,
    givenElsewhere: (hostname) =>
      rows.some((row) => row.hostname === hostname && row.applicationId !== applicationId),
  });
}
