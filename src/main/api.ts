import { loadApiConfig } from '../config/api-config.js';
import { ConfigError } from '../config/config.js';
import { createDatabase } from '../db/prisma-client.js';
import { buildServer } from '../http/build-server.js';
import { createRedisConnection } from '../queue/redis-connection.js';
import { composeServices } from './compose-services.js';
import { createLogger } from './logger.js';
import { onShutdown } from './on-shutdown.js';

async function main(): Promise<void> {
  const config = loadApiConfig();
  const logger = createLogger(config.LOG_LEVEL, 'slipway-api');
  const db = createDatabase(config.DATABASE_URL);
  const redis = createRedisConnection(config.REDIS_URL);
  redis.on('error', (error) => {
    logger.warn({ err: error }, 'redis connection error');
  });

  const services = composeServices(db, redis, {
    logger,
    queuePrefix: config.SLIPWAY_QUEUE_PREFIX,
    security: { adminToken: config.SLIPWAY_ADMIN_TOKEN, secretKey: config.SLIPWAY_SECRET_KEY },
    allowPrivateWebhooks: config.SLIPWAY_WEBHOOK_ALLOW_PRIVATE,
  });
  const server = await buildServer({ logger, ...services });

  onShutdown(
    logger,
    async (signal) => {
      logger.info({ signal }, 'shutting down');
      await server.close();
      await services.close();
      await Promise.allSettled([db.$disconnect(), redis.quit()]);
    },
    { forceExitAfterMs: 15_000 },
  );

  await server.listen({ host: config.HOST, port: config.PORT });
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
  } else {
    process.stderr.write(`slipway-api failed to start: ${String(error)}\n`);
  }
  process.exitCode = 1;
});
