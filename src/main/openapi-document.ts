import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import { createDatabase } from '../db/prisma-client.js';
import { buildServer } from '../http/build-server.js';
import { createRedisConnection } from '../queue/redis-connection.js';
import { composeServices } from './compose-services.js';

/**
 * The OpenAPI document exactly as the running API serves it. Connections are created lazily and
 * never used, so no database or Redis is needed to render it.
 */
export async function renderOpenApiDocument(): Promise<string> {
  const db = createDatabase('postgresql://unused.invalid/unused');
  const redis = createRedisConnection('redis://unused.invalid:6379', { lazy: true });
  const logger = pino({ level: 'silent' });
  // Never used to authenticate or seal anything: the document does not depend on them.
  const security = { adminToken: randomBytes(32).toString('hex'), secretKey: randomBytes(32) };
  const services = composeServices(db, redis, { logger, security });
  const server = await buildServer({ logger, ...services });
  try {
    await server.ready();
    return `${JSON.stringify(server.swagger(), null, 2)}\n`;
  } finally {
    await server.close();
    await services.close();
    redis.disconnect();
  }
}
