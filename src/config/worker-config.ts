import { z } from 'zod';
import { parseDockerConfig } from '../docker/registry-auth.js';
import { configSchema, parseEnv } from './config.js';
import { ingressSettingsSchema } from './ingress-config.js';

const seconds = (fallback: number, max: number) =>
  z.coerce.number().int().min(1).max(max).default(fallback);

const workerSchema = configSchema.extend({
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(4),
  /** Docker network for release and web containers; unset means the engine's default bridge. */
  DEPLOY_NETWORK: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/, 'must be a Docker network name')
    .optional(),
  /** Nothing stays running longer than this. */
  DEPLOYMENT_TIMEOUT_SECONDS: seconds(7200, 7 * 24 * 3600),
  /** On SIGTERM, running steps may finish for this long before they are interrupted. */
  WORKER_DRAIN_TIMEOUT_SECONDS: seconds(30, 3600),
  /** A running deployment whose worker sent no heartbeat for this long is ended as lost. */
  WORKER_LOST_AFTER_SECONDS: seconds(10, 3600),
  /** How often the reconciler repairs lost deployments, missing jobs and orphaned containers. */
  RECONCILE_INTERVAL_SECONDS: seconds(5, 3600),
  /** Prometheus metrics of the worker on this port (0 = off). */
  WORKER_METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(9465),
  WORKER_METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  /**
   * Registry credentials as Docker's config.json content. Parsed here as well as at the pull, so
   * a broken value stops the worker at start-up rather than failing the first deployment. The
   * message names the problem, never the value (it holds passwords).
   */
  DOCKER_AUTH_CONFIG: z
    .string()
    .optional()
    .superRefine((value, context) => {
      if (value === undefined || value.trim() === '') return;
      try {
        parseDockerConfig(value, 'the value');
      } catch (error) {
        context.addIssue({
          code: 'custom',
          message: `${error instanceof Error ? error.message : 'is invalid'} (Docker config.json format, e.g. {"auths":{}})`,
        });
      }
    }),
  /** Webhook deliveries attempted at once, apart from deployments. */
  WEBHOOK_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(4),
  /** A receiver that has not answered within this is an attempt failed. */
  WEBHOOK_TIMEOUT_SECONDS: seconds(10, 300),
  /** First retry delay, doubled per failed attempt up to 1 h, for 24 h. */
  WEBHOOK_RETRY_BASE_MS: z.coerce.number().int().min(10).max(3_600_000).default(5000),
  ...ingressSettingsSchema,
});

export type WorkerConfig = z.infer<typeof workerSchema>;

/** The worker's configuration: the shared settings plus its own, all problems reported at once. */
export function loadWorkerConfig(env: NodeJS.ProcessEnv = process.env): WorkerConfig {
  return parseEnv(workerSchema, env);
}
