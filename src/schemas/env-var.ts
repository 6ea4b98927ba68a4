import { z } from 'zod';
import { minRedactableLength } from '../domain/secret-redactor.js';
import { appRefSchema } from './application.js';
import { safeText } from './text.js';

export const maxEnvVarsPerApp = 500;
export const maxEnvValueBytes = 64 * 1024;

/** Set by Slipway itself on every container; an app may not define or override them. */
export const reservedEnvPrefix = 'SLIPWAY_';

export const envVarNameSchema = z
  .string()
  .min(1)
  .max(255)
  .regex(
    /^[A-Za-z_][A-Za-z0-9_]*$/,
    'must be a POSIX name: letters, digits and "_", not starting with a digit',
  )
  .refine((name) => !name.toUpperCase().startsWith(reservedEnvPrefix), {
    error: `names starting with ${reservedEnvPrefix} are reserved for variables Slipway sets`,
  })
  .describe('POSIX variable name, e.g. DATABASE_URL');

export const envVarParamsSchema = z.object({
  app: appRefSchema,
  name: envVarNameSchema,
});

export const setEnvVarSchema = z
  .object({
    value: safeText({ min: 0, max: maxEnvValueBytes, multiline: true })
      .refine((value) => Buffer.byteLength(value, 'utf8') <= maxEnvValueBytes, {
        error: `must be at most ${maxEnvValueBytes} bytes (UTF-8)`,
      })
      .describe('Up to 64 KiB; tab and newline allowed, other control characters not'),
    secret: z
      .boolean()
      .default(false)
      .describe(
        'Secret values are encrypted at rest, never returned, and masked as ***** in deployment logs',
      ),
  })
  .strict()
  .refine((body) => !body.secret || body.value.length >= minRedactableLength, {
    error: `a secret value must be at least ${minRedactableLength} characters, so that it can be masked in logs`,
    path: ['value'],
  })
  .meta({ id: 'SetEnvVar' });

export const envVarSchema = z
  .object({
    name: z.string(),
    value: z.string().nullable().describe('null for secrets: their values are never returned'),
    secret: z.boolean(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: 'EnvVar' });

export const envVarListSchema = z
  .object({ items: z.array(envVarSchema) })
  .meta({ id: 'EnvVarList' });

/**
 * An app's variables as frozen onto a deployment at trigger time (stored as JSON). Secret values
 * stay sealed here; only the worker opens them, right before it runs the containers.
 */
export const envSnapshotSchema = z.array(
  z.union([
    z.object({ name: z.string(), secret: z.literal(false), value: z.string() }),
    z.object({ name: z.string(), secret: z.literal(true), sealedValue: z.string() }),
  ]),
);

export type SetEnvVar = z.infer<typeof setEnvVarSchema>;
export type EnvVar = z.infer<typeof envVarSchema>;
export type EnvSnapshot = z.infer<typeof envSnapshotSchema>;
