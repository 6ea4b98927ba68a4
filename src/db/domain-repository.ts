import { AppError } from '../domain/errors.js';
import type { DomainRepository } from '../services/ports.js';
import { auditedTransaction } from './audited-transaction.js';
import type { Database } from './prisma-client.js';
import { failingAsAppNotFound, isUniqueViolation } from './prisma-errors.js';

function taken(hostname: string): AppError {
  return new AppError('DOMAIN_TAKEN', `hostname ${hostname} belongs to another application`);
}

export function createDomainRepository(db: Database): DomainRepository {
  return {
    async list(applicationId) {
      return db.domain.findMany({
        where: { applicationId },
        orderBy: { hostname: 'asc' },
        select: { hostname: true, createdAt: true },
      });
    },

    async put(applicationId, hostname, options) {
      try {
        return await failingAsAppNotFound(() =>
          auditedTransaction(
            db,
            async (tx) => {
              // Serialises changes to one app's domains, so the count check cannot be raced past.
              const locked = await tx.$queryRaw<{ id: string }[]>`
                SELECT id FROM applications WHERE id = ${applicationId}::uuid FOR UPDATE`;
              if (locked.length === 0) {
                throw new AppError(
                  'APP_NOT_FOUND',
                  'the application was deleted while this request ran',
                );
              }
              if (options.defaultOf !== null) {
                const owner = await tx.application.findUnique({
                  where: { name: options.defaultOf },
                  select: { id: true },
                });
                if (owner !== null && owner.id !== applicationId) throw taken(hostname);
              }
              const existing = await tx.domain.findUnique({ where: { hostname } });
              if (existing !== null) {
                if (existing.applicationId !== applicationId) throw taken(hostname);
                return {
                  domain: { hostname, createdAt: existing.createdAt },
                  created: false,
                };
              }
              options.assertCanAdd(await tx.domain.count({ where: { applicationId } }));
              const row = await tx.domain.create({ data: { hostname, applicationId } });
              return { domain: { hostname, createdAt: row.createdAt }, created: true };
            },
            (result) => (result.created ? { app: { id: applicationId } } : null),
          ),
        );
      } catch (error) {
        // Another app's request inserted the same hostname between the lookup and the insert.
        if (isUniqueViolation(error)) throw taken(hostname);
        throw error;
      }
    },

    async delete(applicationId, hostname) {
      return auditedTransaction(
        db,
        async (tx) =>
          (await tx.domain.deleteMany({ where: { applicationId, hostname } })).count > 0,
        (deleted) => (deleted ? { app: { id: applicationId } } : null),
      );
    },
  };
}
