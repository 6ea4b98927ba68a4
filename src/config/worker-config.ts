import { z } from 'zod';
import { ConfigError, loadConfig, type Config } from './config.js';

const workerSchema = z.object({
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(4),
  /** Docker network for release and web containers; unset means the engine's default bridge. */
  DEPLOY_NETWORK: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/, 'must be a Docker network name')
    .optional(),
});

export type WorkerConfig = Config & z.infer<typeof workerSchema>;

export function loadWorkerConfig(env: NodeJS.ProcessEnv = process.env): WorkerConfig {
  const base = loadConfig(env);
  const parsed = workerSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  return { ...base, ...parsed.data };
}
