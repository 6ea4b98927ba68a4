import type { ReleaseCommand as ReleaseCommandRow } from '../generated/prisma/client.js';
import type { ReleaseCommand } from '../schemas/release-command.js';
import type { ReleaseCommandRepository } from '../services/ports.js';
import { auditedTransaction } from './audited-transaction.js';
import { sqlOf, type Database, type Transaction } from './prisma-client.js';

/** Serialises changes to one application's command list, so positions stay dense and unique. */
async function lockApplication(tx: Transaction, applicationId: string): Promise<boolean> {
  const rows = await tx.$queryRaw<{ id: string }[]>`
    SELECT id FROM applications WHERE id = ${applicationId}::uuid FOR UPDATE`;
  return rows.length > 0;
}

const inOrder = [{ position: 'asc' as const }, { createdAt: 'asc' as const }];

export function createReleaseCommandRepository(db: Database): ReleaseCommandRepository {
  return {
    async list(applicationId) {
      // On the path of every settings read and trigger: plain pg (see sqlOf).
      const result = await sqlOf(db).query<ReleaseCommandRow>(
        `SELECT id::text AS "id", application_id::text AS "applicationId", label, command,
                timeout_seconds AS "timeoutSeconds", position,
                created_at AS "createdAt", updated_at AS "updatedAt"
         FROM release_commands WHERE application_id = $1 ORDER BY position, created_at`,
        [applicationId],
      );
      return result.rows.map(toReleaseCommand);
    },

    async find(applicationId, id) {
      const row = await db.releaseCommand.findFirst({ where: { applicationId, id } });
      return row === null ? null : toReleaseCommand(row);
    },

    async append(applicationId, input, assertCanAppend) {
      return auditedTransaction(
        db,
        async (tx) => {
          if (!(await lockApplication(tx, applicationId))) return null;
          const count = await tx.releaseCommand.count({ where: { applicationId } });
          assertCanAppend(count);
          const row = await tx.releaseCommand.create({
            data: {
              applicationId,
              label: input.label,
              command: input.command,
              timeoutSeconds: input.timeoutSeconds,
              position: count,
            },
          });
          return toReleaseCommand(row);
        },
        (created) =>
          created === null ? null : { app: { id: applicationId }, createdId: created.id },
      );
    },

    async update(applicationId, id, patch) {
      return auditedTransaction(
        db,
        async (tx) => {
          const rows = await tx.releaseCommand.updateManyAndReturn({
            where: { applicationId, id },
            data: patch,
          });
          const row = rows[0];
          return row === undefined ? null : toReleaseCommand(row);
        },
        (updated) => (updated === null ? null : { app: { id: applicationId } }),
      );
    },

    async delete(applicationId, id) {
      return auditedTransaction(
        db,
        async (tx) => {
          if (!(await lockApplication(tx, applicationId))) return false;
          const removed = await tx.releaseCommand.deleteMany({ where: { applicationId, id } });
          if (removed.count === 0) return false;
          await renumber(tx, applicationId);
          return true;
        },
        (deleted) => (deleted ? { app: { id: applicationId } } : null),
      );
    },

    async reorder(applicationId, ids, assertValid) {
      return auditedTransaction(
        db,
        async (tx) => {
          if (!(await lockApplication(tx, applicationId))) return null;
          const current = await tx.releaseCommand.findMany({
            where: { applicationId },
            orderBy: inOrder,
            select: { id: true },
          });
          assertValid(current.map((row) => row.id));
          // Sequential on purpose: an interactive transaction runs on one connection anyway.
          for (const [position, id] of ids.entries()) {
            await tx.releaseCommand.update({ where: { id }, data: { position } });
          }
          const rows = await tx.releaseCommand.findMany({
            where: { applicationId },
            orderBy: inOrder,
          });
          return rows.map(toReleaseCommand);
        },
        (reordered) => (reordered === null ? null : { app: { id: applicationId } }),
      );
    },
  };
}

async function renumber(tx: Transaction, applicationId: string): Promise<void> {
  await tx.$executeRaw`
    UPDATE release_commands AS rc SET position = ordered.new_position
    FROM (
      SELECT id, (row_number() OVER (ORDER BY position, created_at) - 1)::int AS new_position
      FROM release_commands WHERE application_id = ${applicationId}::uuid
    ) AS ordered
    WHERE rc.id = ordered.id AND rc.position <> ordered.new_position`;
}

function toReleaseCommand(row: ReleaseCommandRow): ReleaseCommand {
  return {
    id: row.id,
    label: row.label,
    command: row.command,
    timeoutSeconds: row.timeoutSeconds,
    position: row.position,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}
