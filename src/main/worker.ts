import { ConfigError } from '../config/config.js';
import { loadWorkerConfig } from '../config/worker-config.js';
import { createDeploymentStore } from '../db/deployment-store.js';
import { createLogStore } from '../db/log-store.js';
import { createDatabase } from '../db/prisma-client.js';
import { createDockerRuntime } from '../docker/docker-runtime.js';
import { startDeploymentWorker } from '../queue/deployment-worker.js';
import { createRedisConnection } from '../queue/redis-connection.js';
import { createDeploymentRunner } from '../services/deployment-runner.js';
import { createLogger } from './logger.js';

async function main(): Promise<void> {
  const config = loadWorkerConfig();
  const logger = createLogger(config.LOG_LEVEL, 'slipway-worker');
  const db = createDatabase(config.DATABASE_URL);
  const redis = createRedisConnection(config.REDIS_URL, { failFast: false });
  redis.on('error', (error) => {
    logger.warn({ err: error }, 'redis connection error');
  });
  const runner = createDeploymentRunner({
    store: createDeploymentStore(db),
    logs: createLogStore(db),
    runtime: createDockerRuntime(),
    network: config.DEPLOY_NETWORK,
    logger,
  });
  const worker = startDeploymentWorker({
    connection: redis,
    runner,
    concurrency: config.WORKER_CONCURRENCY,
    logger,
  });
  logger.info(
    { concurrency: config.WORKER_CONCURRENCY, network: config.DEPLOY_NETWORK ?? 'bridge' },
    'worker started',
  );

  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'stopping: no new jobs, waiting for running deployments');
    void (async () => {
      await worker.close();
      await Promise.allSettled([db.$disconnect(), redis.quit()]);
      logger.info('stopped');
    })();
  };
  process.once('SIGTERM', () => {
    shutdown('SIGTERM');
  });
  process.once('SIGINT', () => {
    shutdown('SIGINT');
  });
}

main().catch((error: unknown) => {
  process.stderr.write(
    error instanceof ConfigError
      ? `${error.message}\n`
      : `slipway-worker failed to start: ${String(error)}\n`,
  );
  process.exitCode = 1;
});
