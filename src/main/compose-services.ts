import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { createDeploymentProgressReader } from '../db/deployment-progress-reader.js';
import { createDeploymentStats } from '../db/deployment-stats.js';
import { createApiMetrics } from '../metrics/api-metrics.js';
import { createLogStreamService } from '../services/log-stream-service.js';
import { createApplicationRepository } from '../db/application-repository.js';
import type { Database } from '../db/prisma-client.js';
import { isConnectionError } from '../db/prisma-errors.js';
import { createReleaseCommandRepository } from '../db/release-command-repository.js';
import { createDeploymentRepository } from '../db/deployment-repository.js';
import { createDomainRepository } from '../db/domain-repository.js';
import { createDeploymentQueue } from '../queue/deployment-queue.js';
import { createDeploymentService } from '../services/deployment-service.js';
import { createDomainService } from '../services/domain-service.js';
import { createApplicationService } from '../services/application-service.js';
import { createHealthService } from '../services/health-service.js';
import { createReleaseCommandService } from '../services/release-command-service.js';
import { createWebhookRepository } from '../db/webhook-repository.js';
import { createWebhookQueue } from '../queue/webhook-queue.js';
import { createWebhookDispatcher } from '../services/webhook-dispatcher.js';
import { createWebhookService } from '../services/webhook-service.js';
import { composeSecurityServices, type SecuritySettings } from './compose-security.js';

/** Wires repositories into services; the one place that knows which implementation backs what. */
export function composeServices(
  db: Database,
  redis: Redis,
  options: {
    logger: Logger;
    security: SecuritySettings;
    queuePrefix?: string;
    /** SLIPWAY_BASE_DOMAIN: every app gets `<app>.<base>` as its default hostname. */
    baseDomain?: string | null;
    /** SLIPWAY_WEBHOOK_ALLOW_PRIVATE: webhooks may target private addresses (tests, labs). */
    allowPrivateWebhooks?: boolean;
  },
) {
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
  const security = composeSecurityServices(db, applications, options.security);
  const queue = createDeploymentQueue({
    connection: redis,
    failFast: true,
    ...(options.queuePrefix === undefined ? {} : { prefix: options.queuePrefix }),
    onError: (error) => {
      options.logger.warn({ err: error }, 'deployment queue error');
    },
  });
  const webhookQueue = createWebhookQueue({
    connection: redis,
    ...(options.queuePrefix === undefined ? {} : { prefix: options.queuePrefix }),
    onError: (error) => {
      options.logger.warn({ err: error }, 'webhook queue error');
    },
  });
  const webhookRepository = createWebhookRepository(db);
  const webhooks = createWebhookService({
    repository: webhookRepository,
    secretKey: options.security.secretKey,
    allowPrivate: options.allowPrivateWebhooks ?? false,
    schedule: webhookQueue.schedule,
  });
  const dispatchWebhooks = createWebhookDispatcher({
    repository: webhookRepository,
    schedule: webhookQueue.schedule,
    logger: options.logger,
  });
  const deployments = createDeploymentService({
    applications,
    deployments: createDeploymentRepository(db),
    envVars: security.envVars,
    queue,
    // Recorded off the request's path: a webhook problem never fails or slows a trigger.
    onEvent: (type, deployment, applicationId) => {
      const { steps: _steps, ...summary } = deployment;
      dispatchWebhooks({
        type,
        applicationId,
        deploymentId: deployment.id,
        data: { deployment: summary },
      }).catch((error: unknown) => {
        options.logger.error(
          { err: error, deploymentId: deployment.id },
          'webhook event not recorded',
        );
      });
    },
  });
  const health = createHealthService(
    [
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
    ],
    (name, error) => {
      options.logger.warn({ err: error, dependency: name }, 'readiness check failed');
    },
  );
  const logStream = createLogStreamService({
    reader: createDeploymentProgressReader(db),
    logger: options.logger,
  });
  const domains = createDomainService({
    applications,
    domains: createDomainRepository(db),
    baseDomain: options.baseDomain ?? null,
  });
  return {
    applications,
    releaseCommands,
    deployments,
    domains,
    logStream,
    security: { ...security, webhooks },
    metrics: createApiMetrics(createDeploymentStats(db)),
    health,
    isDependencyUnavailable: isConnectionError,
    close: async () => {
      await Promise.all([queue.close(), webhookQueue.close()]);
    },
  };
}
