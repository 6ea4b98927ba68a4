import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { parseSecretKey, SecretKeyError } from '../domain/secret-box.js';
import { hostnameSchema } from '../schemas/domain.js';

const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const configSchema = z.object({
  DATABASE_URL: z.url({
    protocol: /^postgres(ql)?$/,
    error: 'must be a postgresql:// URL',
  }),
  REDIS_URL: z.url({ protocol: /^rediss?$/, error: 'must be a redis:// or rediss:// URL' }),
  LOG_LEVEL: z.enum(logLevels).default('info'),
  /**
   * Overrides the installation id that labels every container the worker starts. Unset: an id
   * generated once and stored in the database, so two databases never claim the same containers.
   */
  SLIPWAY_INSTANCE: z.preprocess(
    // `SLIPWAY_INSTANCE=` (as .env files and Compose write an unset value) means unset.
    (value) => (value === '' ? undefined : value),
    z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be 1-63 lowercase letters, digits or hyphens')
      .optional(),
  ),
  /**
   * Gives every app the hostname `<app>.<SLIPWAY_BASE_DOMAIN>` on the ingress (e.g. apps.example.com
   * with a wildcard DNS record). Unset or empty: apps have only the hostnames given to them.
   */
  SLIPWAY_BASE_DOMAIN: z.preprocess(
    (value) => (value === '' ? undefined : value),
    hostnameSchema.max(189, 'must leave room for an app name: at most 189 characters').optional(),
  ),
  /** Prefix of the queue's Redis keys; the API and the worker must agree. Lets installations share a Redis. */
  SLIPWAY_QUEUE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/, 'must be 1-64 letters, digits or _.:-')
    .default('bull'),
  /** Lets webhooks target loopback, link-local and private addresses (off: SSRF protection). */
  SLIPWAY_WEBHOOK_ALLOW_PRIVATE: z
    .enum(['true', 'false'], { error: 'must be true or false' })
    .default('false')
    .transform((value) => value === 'true'),
  /** Seals secrets at rest (env vars, registry passwords); the API and the worker need the same. */
  SLIPWAY_SECRET_KEY: z.string().transform((text, ctx) => {
    try {
      return parseSecretKey(text);
    } catch (error) {
      if (!(error instanceof SecretKeyError)) throw error;
      ctx.addIssue({ code: 'custom', message: error.message });
      return z.NEVER;
    }
  }),
});

export type Config = z.infer<typeof configSchema>;

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Reads the environment once at start-up; any problem is reported all at once, readably. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  return parseEnv(configSchema, env);
}

/** Secrets may come from files (Docker/Kubernetes secrets) as NAME_FILE instead of NAME. */
const fileBackedVariables = ['SLIPWAY_ADMIN_TOKEN', 'SLIPWAY_SECRET_KEY'] as const;

function withFileSecrets(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const resolved = { ...env };
  for (const name of fileBackedVariables) {
    const path = env[`${name}_FILE`];
    if (path === undefined || path === '' || (env[name] ?? '') !== '') continue;
    try {
      resolved[name] = readFileSync(path, 'utf8').trim();
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new ConfigError(
        `Invalid configuration:\n  ${name}_FILE: cannot read ${path}: ${reason}`,
      );
    }
  }
  return resolved;
}

export function parseEnv<T>(schema: z.ZodType<T>, rawEnv: NodeJS.ProcessEnv): T {
  const env = withFileSecrets(rawEnv);
  const parsed = schema.safeParse(env);
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((issue) => {
    const name = issue.path.join('.');
    const problem =
      issue.code === 'invalid_type' && env[name] === undefined ? 'is required' : issue.message;
    return `  ${name}: ${problem}`;
  });
  throw new ConfigError(
    `Invalid configuration:\n${lines.join('\n')}\nSee .env.example for the expected variables.`,
  );
}
