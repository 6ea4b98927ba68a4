import type { RegistryCredentialRepository } from '../services/security-ports.js';
import type { Database } from './prisma-client.js';
import { failingAsAppNotFound } from './prisma-errors.js';

const fields = { server: true, username: true, sealedPassword: true, updatedAt: true } as const;

export function createRegistryCredentialRepository(db: Database): RegistryCredentialRepository {
  return {
    async find(applicationId) {
      return db.registryCredential.findUnique({ where: { applicationId }, select: fields });
    },

    async put(applicationId, input) {
      return failingAsAppNotFound(() =>
        db.registryCredential.upsert({
          where: { applicationId },
          create: { applicationId, ...input },
          update: input,
          select: fields,
        }),
      );
    },

    async delete(applicationId) {
      const { count } = await db.registryCredential.deleteMany({ where: { applicationId } });
      return count > 0;
    },
  };
}
