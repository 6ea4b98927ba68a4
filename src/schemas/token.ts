import { z } from 'zod';
import { appRefSchema } from './application.js';
import { safeText } from './text.js';

export const maxAppsPerToken = 100;

const tokenNameSchema = safeText({ min: 1, max: 100 }).describe('What the token is for, e.g. "ci"');

export const createTokenSchema = z
  .discriminatedUnion('scope', [
    z
      .object({ name: tokenNameSchema, scope: z.literal('admin') })
      .strict()
      .describe('Full access, including tokens and the audit log'),
    z
      .object({
        name: tokenNameSchema,
        scope: z.literal('deploy'),
        apps: z
          .array(appRefSchema)
          .min(1)
          .max(maxAppsPerToken)
          .describe('Names of the applications the token may deploy'),
      })
      .strict()
      .describe(
        'May trigger, read, follow and cancel deployments of the listed apps and read their settings',
      ),
  ])
  .meta({ id: 'CreateToken' });

export const tokenSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    scope: z.enum(['admin', 'deploy']),
    apps: z
      .array(z.string())
      .describe('Apps a deploy token is limited to (current names); [] for admin'),
    prefix: z.string().describe('The first characters of the token, to tell tokens apart'),
    createdAt: z.iso.datetime(),
    lastUsedAt: z.iso
      .datetime()
      .nullable()
      .describe('Last successful authentication, to the minute; null if never used'),
  })
  .meta({ id: 'Token' });

export const createdTokenSchema = tokenSchema
  .extend({
    token: z.string().describe('The secret. Shown only in this response: only a hash is stored.'),
  })
  .meta({ id: 'CreatedToken' });

export const tokenParamsSchema = z.object({ id: z.uuid() });

export type CreateToken = z.infer<typeof createTokenSchema>;
export type Token = z.infer<typeof tokenSchema>;
export type CreatedToken = z.infer<typeof createdTokenSchema>;
