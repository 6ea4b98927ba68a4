import type { RegistryCredentialRepository } from '../services/security-ports.js';
import type { Database } from './prisma-client.js';
import { auditedTransaction } from './audited-transaction.js';
import { failingAsAppNotFound } from './prisma-errors.js';

const fields = { server: true, username: true, sealedPassword: true, updatedAt: true } as const;

export function createRegistryCredentialRepository(db: Database): RegistryCredentialRepository {
  return {
    async find(applicationId) {
      return db.registryCredential.findUnique({ where: { applicationId }, select: fields });
    },

    async put(applicationId, input) {
      return failingAsAppNotFound(() =>
        auditedTransaction(
          db,
          (tx) =>
            tx.registryCredential.upsert({
              where: { applicationId },
              create: { applicationId, ...input },
              update: input,
              select: fields,
            }),
          () => ({ app: { id: applicationId } }),
        ),
      );
    },

    async delete(applicationId) {
      return auditedTransaction(
        db,
        async (tx) =>
          (await tx.registryCredential.deleteMany({ where: { applicationId } })).count > 0,
        (deleted) => (deleted ? { app: { id: applicationId } } : null),
      );
    },
  };
}
