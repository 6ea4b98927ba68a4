import { z } from 'zod';
import { configSchema, parseEnv } from './config.js';

export const minAdminTokenLength = 32;

const apiConfigSchema = configSchema.extend({
  HOST: z.string().min(1).default('0.0.0.0'),
  PORT: z.preprocess(
    (value) => (typeof value === 'string' && value.trim() === '' ? undefined : value),
    z.coerce.number().int().min(0).max(65535).default(3000),
  ),
  /** The bootstrap admin token; issue scoped tokens with it rather than handing it out. */
  SLIPWAY_ADMIN_TOKEN: z
    .string()
    .min(
      minAdminTokenLength,
      `must be at least ${minAdminTokenLength} characters (e.g. \`openssl rand -base64 32\`)`,
    )
    .max(1024)
    .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces (it travels in a header)'),
});

export type ApiConfig = z.infer<typeof apiConfigSchema>;

/** The API's configuration: the shared settings plus the bootstrap admin token. */
export function loadApiConfig(env: NodeJS.ProcessEnv = process.env): ApiConfig {
  return parseEnv(apiConfigSchema, env);
}
