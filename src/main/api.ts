import { loadApiConfig } from '../config/api-config.js';
import { ConfigError } from '../config/config.js';
import { createDatabase, type Database } from '../db/prisma-client.js';
import type { SlipwayServer } from '../http/build-server.js';
import { createRedisConnection } from '../queue/redis-connection.js';
import { createApiApp } from './api-app.js';
import { createLogger } from './logger.js';
import { onShutdown } from './on-shutdown.js';

/** Longest a shutdown (or the clean-up after a failed start) may take before the process exits. */
const forcedExitMs = 15_000;

async function main(): Promise<void> {
  const config = loadApiConfig();
  const logger = createLogger(config.LOG_LEVEL, 'slipway-api');
  const db = createDatabase(config.DATABASE_URL);
  const redis = createRedisConnection(config.REDIS_URL);
  redis.on('error', (error) => {
    logger.warn({ err: error }, 'redis connection error');
  });

  const server: SlipwayServer = await createApiApp({
    logger,
    db,
    redis,
    queuePrefix: config.SLIPWAY_QUEUE_PREFIX,
    baseDomain: config.SLIPWAY_BASE_DOMAIN ?? null,
    security: { adminToken: config.SLIPWAY_ADMIN_TOKEN, secretKey: config.SLIPWAY_SECRET_KEY },
    allowPrivateWebhooks: config.SLIPWAY_WEBHOOK_ALLOW_PRIVATE,
  });
  // All or nothing: an API that cannot reach its database or bind its port does not run at all.
  try {
    await checkDatabase(db);
    onShutdown(
      logger,
      async (signal) => {
        logger.info({ signal }, 'shutting down');
        await server.close();
      },
      { forceExitAfterMs: forcedExitMs },
    );
    await server.listen({ host: config.HOST, port: config.PORT });
  } catch (error) {
    await closeAfterFailedStart(server);
    throw error;
  }
}

async function checkDatabase(db: Database): Promise<void> {
  try {
    await db.$queryRaw`SELECT 1`;
  } catch (error) {
    throw new Error(`the database is unreachable (DATABASE_URL): ${lastLine(error)}`, {
      cause: error,
    });
  }
}

/** Prisma's messages open with the call that failed; the reason is their last line. */
function lastLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return (
    text
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '')
      .at(-1) ?? 'unknown error'
  );
}

/** Closes what start-up opened, within the forced-exit bound: a hung close must not keep us up. */
async function closeAfterFailedStart(server: SlipwayServer): Promise<void> {
  const timer = setTimeout(() => {
    process.stderr.write('slipway-api: clean-up after the failed start hung; exiting\n');
    process.exit(1);
  }, forcedExitMs);
  timer.unref();
  await server.close().catch(() => undefined);
  clearTimeout(timer);
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
  } else {
    process.stderr.write(`slipway-api failed to start: ${describe(error)}\n`);
  }
  // Explicitly: a handle left open by a half-started dependency must not keep the process alive.
  process.exit(1);
});

/** One line, no stack and no driver internals beyond the message itself. */
function describe(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n').find((line) => line.trim() !== '') ?? 'unknown error';
}
