import { PostgreSqlContainer } from '@testcontainers/postgresql';
import { RedisContainer } from '@testcontainers/redis';

export interface BackingServices {
  postgresAdminUrl: string;
  redisUrl: string;
  stop: () => Promise<void>;
}

/**
 * Uses DATABASE_URL / REDIS_URL when set (CI, or a developer's own servers). Otherwise starts
 * PostgreSQL and Redis with testcontainers, so `npm test` works with nothing but Docker.
 */
export async function resolveBackingServices(
  env: NodeJS.ProcessEnv = process.env,
): Promise<BackingServices> {
  const databaseUrl = env.DATABASE_URL;
  const redisUrl = env.REDIS_URL;
  if (databaseUrl !== undefined && redisUrl !== undefined) {
    return { postgresAdminUrl: databaseUrl, redisUrl, stop: async () => {} };
  }
  if (databaseUrl !== undefined || redisUrl !== undefined) {
    throw new Error('set both DATABASE_URL and REDIS_URL, or neither (to use testcontainers)');
  }
  const [postgres, redis] = await Promise.all([
    new PostgreSqlContainer('postgres:17-alpine').start(),
    new RedisContainer('redis:7-alpine').start(),
  ]);
  return {
    postgresAdminUrl: postgres.getConnectionUri(),
    redisUrl: redis.getConnectionUrl(),
    stop: async () => {
      await Promise.all([postgres.stop(), redis.stop()]);
    },
  };
}
