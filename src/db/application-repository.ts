import type { Application as ApplicationRow } from '../generated/prisma/client.js';
import { AppError } from '../domain/errors.js';
import type { Application } from '../schemas/application.js';
import type { ApplicationRecord, ApplicationRepository } from '../services/ports.js';
import { sqlOf, type Database } from './prisma-client.js';
import { auditedTransaction } from './audited-transaction.js';
import { isUniqueViolation } from './prisma-errors.js';

export function createApplicationRepository(db: Database): ApplicationRepository {
  return {
    async create(input) {
      try {
        return await auditedTransaction(
          db,
          async (tx) =>
            toApplication(
              await tx.application.create({
                data: { name: input.name, description: input.description ?? null },
              }),
            ),
          (created) => ({ app: { id: created.id, name: created.name }, createdId: created.id }),
        );
      } catch (error) {
        throw mapNameClash(error, input.name);
      }
    },

    async list({ limit, afterName }) {
      const rows = await db.application.findMany({
        where: afterName === undefined ? {} : { name: { gt: afterName } },
        orderBy: { name: 'asc' },
        take: limit,
      });
      return rows.map(toApplication);
    },

    async findByName(name) {
      // On every app-scoped request's path: plain pg (see sqlOf).
      const result = await sqlOf(db).query<ApplicationSqlRow>(
        `SELECT ${applicationColumns} FROM applications WHERE name = $1`,
        [name],
      );
      const row = result.rows[0];
      return row === undefined ? null : toRecord(row);
    },

    async update(name, patch) {
      try {
        return await auditedTransaction(
          db,
          async (tx) => {
            const result = await tx.application.updateManyAndReturn({
              where: { name },
              data: {
                ...(patch.name === undefined ? {} : { name: patch.name }),
                ...(patch.description === undefined ? {} : { description: patch.description }),
              },
            });
            const row = result[0];
            return row === undefined ? null : toApplication(row);
          },
          // Named as it was when the request came in: a rename is recorded under the old name.
          (updated) => (updated === null ? null : { app: { id: updated.id, name } }),
        );
      } catch (error) {
        throw mapNameClash(error, patch.name ?? name);
      }
    },

    async delete(name) {
      const outcome = await auditedTransaction(
        db,
        async (tx) => {
          // One statement, so a deployment triggered concurrently cannot slip in between check
          // and delete; RETURNING names what went, for the audit entry.
          const deleted = await tx.$queryRaw<{ id: string; name: string }[]>`
            DELETE FROM applications AS a WHERE a.name = ${name} AND NOT EXISTS (
              SELECT 1 FROM deployments AS d
              WHERE d.application_id = a.id AND d.status IN ('queued', 'running'))
            RETURNING a.id::text AS id, a.name`;
          return deleted[0] ?? null;
        },
        (deleted) => (deleted === null ? null : { app: deleted }),
      );
      if (outcome !== null) return 'deleted';
      return (await db.application.count({ where: { name } })) === 0 ? 'missing' : 'busy';
    },

    async updateSettings(name, change) {
      return auditedTransaction(
        db,
        async (tx) => {
          const locked = await tx.$queryRaw<{ id: string }[]>`
          SELECT id FROM applications WHERE name = ${name} FOR UPDATE`;
          if (locked.length === 0) return null;
          const current = await tx.application.findUniqueOrThrow({ where: { name } });
          const next = change(toRecord(current));
          const row = await tx.application.update({
            where: { name },
            data: {
              ...(next.webContainer === undefined
                ? {}
                : {
                    webPort: next.webContainer.port,
                    webReplicas: next.webContainer.replicas,
                    webDrainTimeoutSeconds: next.webContainer.drainTimeoutSeconds,
                    webStopTimeoutSeconds: next.webContainer.stopTimeoutSeconds,
                    webRetainReleases: next.webContainer.retainReleases,
                  }),
              ...(next.startupProbe === undefined
                ? {}
                : {
                    probeStartupTimeoutSeconds: next.startupProbe.startupTimeoutSeconds,
                    probeTimeoutSeconds: next.startupProbe.probeTimeoutSeconds,
                    probeMaxRetries: next.startupProbe.maxRetries,
                    probeIntervalMs: next.startupProbe.intervalMs,
                    probePath: next.startupProbe.path,
                  }),
              ...(next.resources === undefined
                ? {}
                : {
                    resourceMemoryMib: next.resources.memoryMiB,
                    resourceCpus: next.resources.cpus,
                    resourcePids: next.resources.pids,
                  }),
            },
          });
          return toRecord(row);
        },
        (updated) => (updated === null ? null : { app: { id: updated.id, name: updated.name } }),
      );
    },
  };
}

function mapNameClash(error: unknown, name: string): unknown {
  if (isUniqueViolation(error)) {
    return new AppError('APP_NAME_TAKEN', `an application named "${name}" already exists`, {
      issues: [{ path: '/name', message: 'already taken' }],
      cause: error,
    });
  }
  return error;
}

/** The columns of applications under the names Prisma gives them, for plain pg reads. */
const applicationColumns = [
  'id::text AS "id"',
  'name',
  'description',
  'created_at AS "createdAt"',
  'updated_at AS "updatedAt"',
  'web_port AS "webPort"',
  'web_replicas AS "webReplicas"',
  'web_drain_timeout_seconds AS "webDrainTimeoutSeconds"',
  'web_stop_timeout_seconds AS "webStopTimeoutSeconds"',
  'web_retain_releases AS "webRetainReleases"',
  'probe_startup_timeout_seconds AS "probeStartupTimeoutSeconds"',
  'probe_timeout_seconds AS "probeTimeoutSeconds"',
  'probe_max_retries AS "probeMaxRetries"',
  'probe_interval_ms AS "probeIntervalMs"',
  'probe_path AS "probePath"',
  'resource_memory_mib AS "resourceMemoryMib"',
  'resource_cpus AS "resourceCpus"',
  'resource_pids AS "resourcePids"',
].join(', ');

type ApplicationSqlRow = Pick<
  ApplicationRow,
  | 'id'
  | 'name'
  | 'description'
  | 'createdAt'
  | 'updatedAt'
  | 'webPort'
  | 'webReplicas'
  | 'webDrainTimeoutSeconds'
  | 'webStopTimeoutSeconds'
  | 'webRetainReleases'
  | 'probeStartupTimeoutSeconds'
  | 'probeTimeoutSeconds'
  | 'probeMaxRetries'
  | 'probeIntervalMs'
  | 'probePath'
  | 'resourceMemoryMib'
  | 'resourceCpus'
  | 'resourcePids'
>;

function toApplication(
  row: Pick<ApplicationRow, 'id' | 'name' | 'description' | 'createdAt' | 'updatedAt'>,
): Application {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

function toRecord(row: ApplicationSqlRow): ApplicationRecord {
  return {
    ...toApplication(row),
    webContainer: {
      port: row.webPort,
      replicas: row.webReplicas,
      drainTimeoutSeconds: row.webDrainTimeoutSeconds,
      stopTimeoutSeconds: row.webStopTimeoutSeconds,
      retainReleases: row.webRetainReleases,
    },
    startupProbe: {
      startupTimeoutSeconds: row.probeStartupTimeoutSeconds,
      probeTimeoutSeconds: row.probeTimeoutSeconds,
      maxRetries: row.probeMaxRetries,
      intervalMs: row.probeIntervalMs,
      path: row.probePath,
    },
    resources: {
      memoryMiB: row.resourceMemoryMib,
      cpus: row.resourceCpus,
      pids: row.resourcePids,
    },
  };
}
