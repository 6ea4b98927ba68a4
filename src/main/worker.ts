import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { ConfigError } from '../config/config.js';
import { ingressConfigOf } from '../config/ingress-config.js';
import { loadWorkerConfig, type WorkerConfig } from '../config/worker-config.js';
import { createIngressStateReader } from '../db/ingress-state-reader.js';
import { loadInstallationId } from '../db/installation-repository.js';
import { createDatabase } from '../db/prisma-client.js';
import { createDockerEngine } from '../docker/docker-engine.js';
import { IngressStartError, startIngress, type Ingress } from '../ingress/start-ingress.js';
import { createWorkerMetrics } from '../metrics/worker-metrics.js';
import { createRedisConnection } from '../queue/redis-connection.js';
import { composeWorker } from '../worker/compose-worker.js';
import { createLogger } from './logger.js';
import { startMetricsServer } from './metrics-server.js';
import { startWebhookDelivery } from './webhook-delivery.js';
import { onShutdown } from './on-shutdown.js';

/** Closes what start-up opened, newest first, whether start-up finished or not. */
type Closer = () => Promise<void>;

async function closeAll(closers: Closer[], logger: Logger): Promise<void> {
  for (const close of closers.reverse()) {
    await close().catch((error: unknown) => {
      logger.error({ err: error }, 'could not close a resource while stopping');
      process.exitCode = 1;
    });
  }
}

/**
 * Start-up is all or nothing: the metrics port, the database (the installation id) and the first
 * reconcile pass come before any job is taken; if one fails, what was opened is closed and the
 * process exits 1.
 */
async function start(config: WorkerConfig, logger: Logger, closers: Closer[]) {
  const workerId = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  const db = createDatabase(config.DATABASE_URL);
  closers.push(() => db.$disconnect());
  const redis = createRedisConnection(config.REDIS_URL, { failFast: false });
  closers.push(async () => {
    await redis.quit();
  });
  redis.on('error', (error) => {
    logger.warn({ err: error }, 'redis connection error');
  });
  const metrics = createWorkerMetrics();
  if (config.WORKER_METRICS_PORT !== 0) {
    const server = await startMetricsServer(
      metrics.registry,
      config.WORKER_METRICS_HOST,
      config.WORKER_METRICS_PORT,
    );
    closers.push(() => server.close());
  }
  const instance = config.SLIPWAY_INSTANCE ?? (await loadInstallationId(db));
  // Its own queue and consumer: a slow or failing receiver never holds up a deployment.
  const webhooks = startWebhookDelivery({ db, redis, logger, config });
  closers.push(() => webhooks.close());
  const ingress = await openIngress(config, db, logger, closers);
  const worker = composeWorker({
    db,
    redis,
    engine: createDockerEngine({
      instance,
      network: config.DEPLOY_NETWORK,
      // A HAProxy in a container reaches web containers on the shared network, not via the
      // worker host's 127.0.0.1 (see README, Ingress).
      endpoint:
        ingress?.mode === 'external' && config.DEPLOY_NETWORK !== undefined
          ? 'network'
          : 'published',
    }),
    ingress: ingress?.ingress ?? null,
    secretKey: config.SLIPWAY_SECRET_KEY,
    baseDomain: config.SLIPWAY_BASE_DOMAIN ?? null,
    logger,
    workerId,
    concurrency: config.WORKER_CONCURRENCY,
    deploymentTimeoutSeconds: config.DEPLOYMENT_TIMEOUT_SECONDS,
    lostAfterSeconds: config.WORKER_LOST_AFTER_SECONDS,
    reconcileIntervalSeconds: config.RECONCILE_INTERVAL_SECONDS,
    queuePrefix: config.SLIPWAY_QUEUE_PREFIX,
    metrics: metrics.pipeline,
    events: webhooks.events,
    onReleaseHealth: metrics.releaseHealth,
  });
  closers.push(() => worker.stop(config.WORKER_DRAIN_TIMEOUT_SECONDS * 1000));
  await worker.start();
  logger.info(
    {
      workerId,
      instance,
      concurrency: config.WORKER_CONCURRENCY,
      network: config.DEPLOY_NETWORK ?? 'bridge',
      metricsPort: config.WORKER_METRICS_PORT,
      ingress: config.SLIPWAY_INGRESS,
      haproxyPid: ingress?.ingress.haproxyPid() ?? null,
    },
    'worker started',
  );
  return worker;
}

/** The ingress per SLIPWAY_INGRESS, or null when it is off; HAProxy stopped on close. */
async function openIngress(
  config: WorkerConfig,
  db: ReturnType<typeof createDatabase>,
  logger: Logger,
  closers: Closer[],
): Promise<{ mode: 'supervise' | 'external'; ingress: Ingress } | null> {
  const ingressConfig = ingressConfigOf(config);
  if (ingressConfig === null) return null;
  const ingress = await startIngress(ingressConfig, createIngressStateReader(db), logger);
  closers.push(() => ingress.close());
  logger.info(
    { mode: ingressConfig.mode, bind: ingressConfig.bind, stateDir: ingressConfig.stateDir },
    'ingress started',
  );
  return { mode: ingressConfig.mode, ingress };
}

async function main(): Promise<void> {
  const config = loadWorkerConfig();
  const logger = createLogger(config.LOG_LEVEL, 'slipway-worker');
  const closers: Closer[] = [];
  let worker: Awaited<ReturnType<typeof start>>;
  try {
    worker = await start(config, logger, closers);
  } catch (error) {
    logger.fatal({ err: error }, 'failed to start');
    await closeAll(closers, logger);
    throw error;
  }
  onShutdown(
    logger,
    async (signal) => {
      logger.info(
        {
          signal,
          active: worker.runner.activeCount(),
          drainTimeoutSeconds: config.WORKER_DRAIN_TIMEOUT_SECONDS,
        },
        'stopping: taking no new jobs, letting running steps finish',
      );
      await closeAll(closers, logger);
    },
    { forceExitAfterMs: (config.WORKER_DRAIN_TIMEOUT_SECONDS + 15) * 1000 },
  );
}

main().catch((error: unknown) => {
  process.stderr.write(
    error instanceof ConfigError
      ? `${error.message}\n`
      : error instanceof IngressStartError
        ? `slipway-worker failed to start: ${error.message}\n`
        : `slipway-worker failed to start: ${String(error)}\n`,
  );
  // Nothing may keep a half-started worker alive (an open handle would otherwise hold it).
  process.exit(1);
});
