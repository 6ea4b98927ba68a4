import type { EnvVar as EnvVarRow } from '../generated/prisma/client.js';
import type { EnvSnapshot } from '../schemas/env-var.js';
import type { EnvVarRepository, StoredEnvVar } from '../services/security-ports.js';
import { sqlOf, type Database } from './prisma-client.js';
import { auditedTransaction } from './audited-transaction.js';
import { failingAsAppNotFound } from './prisma-errors.js';
import { AppError } from '../domain/errors.js';

function toEnvVar(row: EnvVarRow): StoredEnvVar {
  return {
    name: row.name,
    secret: row.secret,
    value: row.value,
    sealedValue: row.sealedValue,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

export function createEnvVarRepository(db: Database): EnvVarRepository {
  return {
    async list(applicationId) {
      const rows = await db.envVar.findMany({ where: { applicationId }, orderBy: { name: 'asc' } });
      return rows.map(toEnvVar);
    },

    async put(applicationId, name, value, assertCanAdd) {
      return failingAsAppNotFound(() =>
        auditedTransaction(
          db,
          async (tx) => {
            // Serialises changes to one app's variables, so the count check cannot be raced past.
            const locked = await tx.$queryRaw<{ id: string }[]>`
          SELECT id FROM applications WHERE id = ${applicationId}::uuid FOR UPDATE`;
            if (locked.length === 0)
              throw new AppError(
                'APP_NOT_FOUND',
                'the application was deleted while this request ran',
              );
            const existing = await tx.envVar.findUnique({
              where: { applicationId_name: { applicationId, name } },
              select: { name: true },
            });
            if (existing === null)
              assertCanAdd(await tx.envVar.count({ where: { applicationId } }));
            const data = value.secret
              ? { secret: true, value: null, sealedValue: value.sealedValue }
              : { secret: false, value: value.value, sealedValue: null };
            const row = await tx.envVar.upsert({
              where: { applicationId_name: { applicationId, name } },
              create: { applicationId, name, ...data },
              update: data,
            });
            return { envVar: toEnvVar(row), created: existing === null };
          },
          () => ({ app: { id: applicationId } }),
        ),
      );
    },

    async delete(applicationId, name) {
      return auditedTransaction(
        db,
        async (tx) => (await tx.envVar.deleteMany({ where: { applicationId, name } })).count > 0,
        (deleted) => (deleted ? { app: { id: applicationId } } : null),
      );
    },

    async snapshot(applicationId) {
      // On every trigger's path: plain pg (see sqlOf).
      const result = await sqlOf(db).query<{
        name: string;
        secret: boolean;
        value: string | null;
        sealedValue: string | null;
      }>(
        `SELECT name, secret, value, sealed_value AS "sealedValue"
         FROM env_vars WHERE application_id = $1 ORDER BY name`,
        [applicationId],
      );
      const rows = result.rows;
      return rows.map((row): EnvSnapshot[number] =>
        row.secret
          ? { name: row.name, secret: true, sealedValue: row.sealedValue ?? '' }
          : { name: row.name, secret: false, value: row.value ?? '' },
      );
    },
  };
}
