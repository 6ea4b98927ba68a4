import type { Redis } from 'ioredis';
import { createApplicationRepository } from '../db/application-repository.js';
import type { Database } from '../db/prisma-client.js';
import { isConnectionError } from '../db/prisma-errors.js';
import { createReleaseCommandRepository } from '../db/release-command-repository.js';
import { createApplicationService } from '../services/application-service.js';
import { createHealthService } from '../services/health-service.js';
import { createReleaseCommandService } from '../services/release-command-service.js';

/** Wires repositories into services; the one place that knows which implementation backs what. */
export function composeServices(db: Database, redis: Redis) {
  const applicationRepository = createApplicationRepository(db);
  const releaseCommandRepository = createReleaseCommandRepository(db);
  const applications = createApplicationService({
    applications: applicationRepository,
    releaseCommands: releaseCommandRepository,
  });
  const releaseCommands = createReleaseCommandService({
    applications,
    releaseCommands: releaseCommandRepository,
  });
  const health = createHealthService([
    {
      name: 'postgres',
      check: async () => {
        await db.$queryRaw`SELECT 1`;
      },
    },
    {
      name: 'redis',
      check: async () => {
        await redis.ping();
      },
    },
  ]);
  return { applications, releaseCommands, health, isDependencyUnavailable: isConnectionError };
}
