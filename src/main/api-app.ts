import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Database } from '../db/prisma-client.js';
import { buildServer, type SlipwayServer } from '../http/build-server.js';
import { composeServices } from './compose-services.js';
import type { SecuritySettings } from './compose-security.js';

export interface ApiAppOptions {
  logger: Logger;
  /** Owned by the app from here on: closed when the server closes. */
  db: Database;
  /** Owned by the app from here on: closed when the server closes. */
  redis: Redis;
  security: SecuritySettings;
  queuePrefix?: string;
  /** SLIPWAY_BASE_DOMAIN, when set. */
  baseDomain?: string | null;
  /** Lets webhooks target loopback, link-local and private addresses (SLIPWAY_WEBHOOK_ALLOW_PRIVATE). */
  allowPrivateWebhooks?: boolean;
}

/** Waits at most `ms` for `work`; a backing service that hangs must not hold the shutdown. */
async function bounded(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  await Promise.race([work, timeout]).finally(() => {
    clearTimeout(timer);
  });
}

/**
 * The backing services as a named plugin that closes them in `onClose`: the queue first (it
 * uses the Redis connection), then PostgreSQL and Redis. `server.close()` is the one shutdown
 * path, in production (SIGTERM, failed start-up) and in tests alike.
 */
function backingServices(resources: {
  db: Database;
  redis: Redis;
  closeQueue: () => Promise<void>;
}) {
  return fp(
    async (app: FastifyInstance) => {
      app.addHook('onClose', async () => {
        await bounded(resources.closeQueue(), 5000);
        await Promise.allSettled([
          bounded(resources.db.$disconnect(), 5000),
          bounded(
            resources.redis.quit().catch(() => undefined),
            2000,
          ),
        ]);
        // Whatever quit() managed, no reconnect attempt may keep the process alive.
        resources.redis.disconnect();
      });
    },
    { name: 'backing-services' },
  );
}

/** The API server wired to its database, Redis and queue, which it closes when it closes. */
export async function createApiApp(options: ApiAppOptions): Promise<SlipwayServer> {
  const { logger, db, redis } = options;
  const services = composeServices(db, redis, {
    logger,
    security: options.security,
    baseDomain: options.baseDomain ?? null,
    ...(options.queuePrefix === undefined ? {} : { queuePrefix: options.queuePrefix }),
    ...(options.allowPrivateWebhooks === undefined
      ? {}
      : { allowPrivateWebhooks: options.allowPrivateWebhooks }),
  });
  const release = backingServices({ db, redis, closeQueue: services.close });
  let server: SlipwayServer;
  try {
    server = await buildServer({ logger, ...services });
  } catch (error) {
    // No server to close them: release what was opened for it here.
    await services.close();
    await Promise.allSettled([db.$disconnect()]);
    redis.disconnect();
    throw error;
  }
  await server.register(release);
  return server;
}
