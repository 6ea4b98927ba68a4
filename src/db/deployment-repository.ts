import type { DeploymentRepository } from '../services/ports.js';
import {
  toDeployment,
  toRelease,
  toRollbackSource,
  toSummary,
  type SummaryFields,
} from './deployment-mappers.js';
import { auditedSqlTransaction, auditedTransaction } from './audited-transaction.js';
import type { Database } from './prisma-client.js';
import { isForeignKeyViolation, isUniqueViolation } from './prisma-errors.js';
import { AppError } from '../domain/errors.js';

const stepOrder = { position: 'asc' as const };

/** What toSummary reads, under Prisma's names, for rows read or written with plain pg. */
const summaryColumns = [
  'id::text AS "id"',
  'image',
  'status::text AS "status"',
  'kind::text AS "kind"',
  'rollback_of::text AS "rollbackOf"',
  'image_id AS "imageId"',
  'failure_reason AS "failureReason"',
  'created_at AS "createdAt"',
  'started_at AS "startedAt"',
  'finished_at AS "finishedAt"',
].join(', ');

type SummaryRow = Omit<SummaryFields, 'status' | 'kind'> & { status: string; kind: string };

const statuses = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;
const kinds = ['deploy', 'rollback'] as const;

function checkedSummaryRow(row: SummaryRow): SummaryFields {
  const status = statuses.find((candidate) => candidate === row.status);
  const kind = kinds.find((candidate) => candidate === row.kind);
  if (status === undefined || kind === undefined) {
    throw new Error(`deployment ${row.id} has status ${row.status} and kind ${row.kind}`);
  }
  return { ...row, status, kind };
}

export function createDeploymentRepository(db: Database): DeploymentRepository {
  return {
    async create(input) {
      try {
        // The trigger's write: plain pg in one transaction with its audit entry (see sqlOf).
        const row = await auditedSqlTransaction(
          db,
          async (client) => {
            const rollback = input.rollback;
            const inserted = await client.query<SummaryRow>(
              `INSERT INTO deployments (id, application_id, image, settings, env_snapshot,
                 idempotency_key, request_fingerprint, kind, rollback_of, image_id, image_digest,
                 run_release_commands)
               VALUES (gen_random_uuid(), $1, $2, $3, $4, $5, $6, $7::deployment_kind, $8::uuid,
                 $9, $10, $11)
               RETURNING ${summaryColumns}`,
              [
                input.applicationId,
                input.image,
                JSON.stringify(input.settings),
                JSON.stringify(input.envSnapshot),
                input.idempotency?.key ?? null,
                input.idempotency?.fingerprint ?? null,
                rollback === undefined ? 'deploy' : 'rollback',
                rollback?.of ?? null,
                rollback?.imageId ?? null,
                rollback?.imageDigest ?? null,
                rollback?.runReleaseCommands ?? false,
              ],
            );
            const created = inserted.rows[0];
            if (created === undefined) throw new Error('INSERT INTO deployments returned no row');
            return checkedSummaryRow(created);
          },
          (created) => ({
            app: { id: input.applicationId, name: input.app },
            createdId: created.id,
          }),
        );
        return toDeployment(row, input.app, []);
      } catch (error) {
        // Only the (app, idempotency key) index can clash here: another request won the race.
        if (input.idempotency !== undefined && isUniqueViolation(error)) return null;
        // The application was deleted between the lookup and this insert.
        if (isForeignKeyViolation(error)) {
          throw new AppError('APP_NOT_FOUND', `no application named "${input.app}"`, {
            cause: error,
          });
        }
        throw error;
      }
    },

    async findByIdempotencyKey(applicationId, key) {
      const row = await db.deployment.findUnique({
        where: { applicationId_idempotencyKey: { applicationId, idempotencyKey: key } },
        include: { application: { select: { name: true } }, steps: { orderBy: stepOrder } },
      });
      if (row === null) return null;
      return {
        deployment: toDeployment(row, row.application.name, row.steps),
        fingerprint: row.requestFingerprint,
        createdAt: row.createdAt,
      };
    },

    async releaseIdempotencyKey(deploymentId) {
      await db.deployment.update({ where: { id: deploymentId }, data: { idempotencyKey: null } });
    },

    async requestCancel(id) {
      let applicationId = '';
      return auditedTransaction(
        db,
        async (tx) => {
          const rows = await tx.$queryRaw<{ status: string; application_id: string }[]>`
          SELECT status::text AS status, application_id::text AS application_id
          FROM deployments WHERE id = ${id}::uuid FOR UPDATE`;
          const status = rows[0]?.status;
          if (status === undefined) return 'missing';
          applicationId = rows[0]?.application_id ?? '';
          const now = new Date();
          if (status === 'queued') {
            await tx.deployment.update({
              where: { id },
              data: {
                status: 'cancelled',
                cancelRequestedAt: now,
                finishedAt: now,
                failureReason: 'cancelled before it started',
              },
            });
            return 'cancelled';
          }
          if (status === 'running') {
            await tx.deployment.update({ where: { id }, data: { cancelRequestedAt: now } });
            return 'requested';
          }
          return 'finished';
        },
        (outcome) =>
          outcome === 'cancelled' || outcome === 'requested'
            ? { app: { id: applicationId } }
            : null,
      );
    },

    async markFailed(id, reason) {
      await db.deployment.updateMany({
        where: { id, status: { in: ['queued', 'running'] } },
        data: { status: 'failed', failureReason: reason, finishedAt: new Date() },
      });
    },

    async findById(id) {
      const row = await db.deployment.findUnique({
        where: { id },
        include: { application: { select: { name: true } }, steps: { orderBy: stepOrder } },
      });
      return row === null ? null : toDeployment(row, row.application.name, row.steps);
    },

    async listForApp(applicationId, app, { limit, beforeSequence }) {
      const rows = await db.deployment.findMany({
        where: {
          applicationId,
          ...(beforeSequence === undefined ? {} : { sequence: { lt: beforeSequence } }),
        },
        orderBy: { sequence: 'desc' },
        take: limit,
      });
      return rows.map((row) => ({ ...toSummary(row, app), sequence: row.sequence }));
    },

    async findRollbackSource(id) {
      const row = await db.deployment.findUnique({ where: { id } });
      return row === null ? null : toRollbackSource(row);
    },

    async rollbackHistory(applicationId, limit) {
      const release = await db.release.findUnique({
        where: { applicationId },
        include: { deployment: true },
      });
      if (release === null) return { live: null, earlier: [] };
      const rows = await db.deployment.findMany({
        where: {
          applicationId,
          status: 'succeeded',
          imageId: { not: null },
          sequence: { lt: release.deployment.sequence },
        },
        orderBy: { sequence: 'desc' },
        take: limit,
      });
      return { live: toRollbackSource(release.deployment), earlier: rows.map(toRollbackSource) };
    },

    async findRelease(applicationId, app) {
      const row = await db.release.findUnique({ where: { applicationId } });
      return row === null ? null : toRelease(row, app);
    },

    async readLog(id) {
      const row = await db.deployment.findUnique({
        where: { id },
        include: { application: { select: { name: true } }, steps: { orderBy: stepOrder } },
      });
      if (row === null) return null;
      const chunks = await db.logChunk.findMany({
        where: { deploymentId: id },
        orderBy: { id: 'asc' },
        select: { stepId: true, part: true, text: true },
      });
      return {
        deployment: toDeployment(row, row.application.name, row.steps),
        omittedBytes: new Map(row.steps.map((step) => [step.id, Number(step.logOmittedBytes)])),
        commands: new Map(row.steps.map((step) => [step.id, step.command])),
        chunks: chunks.map((chunk) => ({
          stepId: chunk.stepId,
          part: chunk.part === 'tail' ? ('tail' as const) : ('head' as const),
          text: chunk.text,
        })),
      };
    },

    async hasActiveDeployment(applicationId) {
      const count = await db.deployment.count({
        where: { applicationId, status: { in: ['queued', 'running'] } },
      });
      return count > 0;
    },
  };
}
