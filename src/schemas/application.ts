import { z } from 'zod';
import { safeText } from './text.js';

export const appNameSchema = z
  .string()
  .min(1)
  .max(63)
  .regex(
    /^[a-z][a-z0-9-]*$/,
    'must start with a lowercase letter and contain only lowercase letters, digits and hyphens',
  )
  .describe('Unique slug: lowercase letters, digits and hyphens, starting with a letter');

/**
 * An application named by a caller (path parameter, a token's app list): any plausible name is
 * looked up, so an unknown one is a plain 404; text PostgreSQL cannot hold (NUL) is a 400.
 */
export const appRefSchema = safeText({ min: 1, max: 255 });

/** Path parameter: any plausible name is looked up, so an unknown one is a plain 404. */
export const appParamsSchema = z.object({ app: appRefSchema });

export const applicationSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    description: z.string().nullable(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: 'Application' });

export const createApplicationSchema = z
  .object({
    name: appNameSchema,
    description: safeText({ min: 0, max: 1000, multiline: true }).nullable().optional(),
  })
  .strict()
  .meta({ id: 'CreateApplication' });

export const updateApplicationSchema = z
  .object({
    name: appNameSchema.optional(),
    description: safeText({ min: 0, max: 1000, multiline: true }).nullable().optional(),
  })
  .strict()
  .meta({ id: 'UpdateApplication' });

export type Application = z.infer<typeof applicationSchema>;
export type CreateApplication = z.infer<typeof createApplicationSchema>;
export type UpdateApplication = z.infer<typeof updateApplicationSchema>;
