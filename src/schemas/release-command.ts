import { z } from 'zod';
import { safeText } from './text.js';

export const releaseCommandDefaults = { timeoutSeconds: 1800 } as const;

/** An application may not accumulate an unbounded pipeline. */
export const maxReleaseCommandsPerApp = 100;

const labelSchema = safeText({ min: 1, max: 200 }).describe('Human-readable name, e.g. "migrate"');
const commandSchema = safeText({ min: 1, max: 10000, multiline: true }).describe(
  'Runs as `/bin/sh -c <command>` in a fresh container from the new image',
);
const timeoutSchema = z.number().int().min(1).max(86400);

export const releaseCommandSchema = z
  .object({
    id: z.uuid(),
    label: z.string(),
    command: z.string(),
    timeoutSeconds: z.number().int(),
    position: z.number().int().describe('0-based execution order'),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: 'ReleaseCommand' });

export const createReleaseCommandSchema = z
  .object({
    label: labelSchema,
    command: commandSchema,
    timeoutSeconds: timeoutSchema.default(releaseCommandDefaults.timeoutSeconds),
  })
  .strict()
  .meta({ id: 'CreateReleaseCommand' });

export const updateReleaseCommandSchema = z
  .object({
    label: labelSchema.optional(),
    command: commandSchema.optional(),
    timeoutSeconds: timeoutSchema.optional(),
  })
  .strict()
  .meta({ id: 'UpdateReleaseCommand' });

export const releaseCommandOrderSchema = z
  .object({
    ids: z.array(z.uuid()).max(maxReleaseCommandsPerApp),
  })
  .strict()
  .meta({ id: 'ReleaseCommandOrder' });

export const releaseCommandParamsSchema = z.object({
  app: safeText({ min: 1, max: 255 }),
  id: z.uuid(),
});

export type ReleaseCommand = z.infer<typeof releaseCommandSchema>;
export type CreateReleaseCommand = z.infer<typeof createReleaseCommandSchema>;
export type UpdateReleaseCommand = z.infer<typeof updateReleaseCommandSchema>;
