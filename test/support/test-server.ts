import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import { inject } from 'vitest';
import { createDatabase, type Database } from '../../src/db/prisma-client.js';
import { buildServer, type SlipwayServer } from '../../src/http/build-server.js';
import { composeServices } from '../../src/main/compose-services.js';
import { createRedisConnection } from '../../src/queue/redis-connection.js';
import { createTestDatabase, type TestDatabase } from './test-database.js';

export interface TestServer {
  server: SlipwayServer;
  db: Database;
  database: TestDatabase;
  /** Unique per test file, so files sharing one Redis never see each other's keys. */
  redisPrefix: string;
  close: () => Promise<void>;
}

/** The real API wired to a database of its own and the shared test Redis. */
export async function startTestServer(): Promise<TestServer> {
  const database = await createTestDatabase();
  const db = createDatabase(database.url);
  const redis = createRedisConnection(inject('redisUrl'));
  const redisPrefix = `slipway-test-${randomBytes(4).toString('hex')}`;
  const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const services = composeServices(db, redis, { logger, queuePrefix: redisPrefix });
  const server = await buildServer({ logger, ...services });
  await server.ready();
  return {
    server,
    db,
    database,
    redisPrefix,
    close: async () => {
      await server.close();
      await services.close();
      await db.$disconnect();
      redis.disconnect();
      await database.drop();
    },
  };
}
