import { z } from 'zod';
import { webhookEventTypes } from '../domain/webhook-events.js';
import { safeText } from './text.js';

const urlSchema = z
  .url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' })
  .max(2048)
  .describe(
    'Where events are POSTed. Refused when it resolves to a loopback, link-local or private address (unless SLIPWAY_WEBHOOK_ALLOW_PRIVATE=true)',
  );
const appsSchema = z
  .array(z.string().min(1).max(255))
  .max(100)
  .describe('Only events of these applications (names); [] or absent: all');
const eventsSchema = z
  .array(z.enum(webhookEventTypes))
  .max(webhookEventTypes.length)
  .describe('Only these events; [] or absent: all');
const descriptionSchema = safeText({ min: 0, max: 1000, multiline: true }).nullable();

export const createWebhookSchema = z
  .object({
    url: urlSchema,
    description: descriptionSchema.optional(),
    apps: appsSchema.optional(),
    events: eventsSchema.optional(),
  })
  .strict()
  .meta({ id: 'CreateWebhook' });

export const updateWebhookSchema = z
  .object({
    url: urlSchema.optional(),
    description: descriptionSchema.optional(),
    apps: appsSchema.optional(),
    events: eventsSchema.optional(),
    enabled: z.boolean().optional(),
  })
  .strict()
  .meta({ id: 'UpdateWebhook' });

export const webhookSchema = z
  .object({
    id: z.uuid(),
    url: z.string(),
    description: z.string().nullable(),
    apps: z.array(z.string()).describe('Current names of the applications it is limited to'),
    events: z.array(z.enum(webhookEventTypes)),
    enabled: z.boolean(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: 'Webhook' });

export const createdWebhookSchema = webhookSchema
  .extend({
    secret: z
      .string()
      .describe('The signing secret (whsec_…). Shown only in this response; stored encrypted.'),
  })
  .meta({ id: 'CreatedWebhook' });

export const webhookListSchema = z.object({ items: z.array(webhookSchema) });

export const webhookAttemptSchema = z.object({
  attemptedAt: z.iso.datetime(),
  responseCode: z.number().int().nullable(),
  durationMs: z.number().int(),
  error: z.string().nullable(),
});

export const webhookDeliverySchema = z
  .object({
    id: z.uuid(),
    messageId: z.string().describe('The webhook-id header; the same on a redelivery'),
    event: z.enum(webhookEventTypes),
    deploymentId: z.uuid().nullable(),
    status: z.enum(['pending', 'succeeded', 'failed']),
    attemptCount: z.number().int(),
    lastResponseCode: z.number().int().nullable(),
    lastDurationMs: z.number().int().nullable(),
    nextAttemptAt: z.iso.datetime().nullable().describe('null once succeeded or given up'),
    createdAt: z.iso.datetime(),
    finishedAt: z.iso.datetime().nullable(),
    attempts: z.array(webhookAttemptSchema).describe('Every attempt, oldest first'),
  })
  .meta({ id: 'WebhookDelivery' });

export const webhookParamsSchema = z.object({ id: z.uuid() });
export const webhookDeliveryParamsSchema = z.object({ id: z.uuid(), deliveryId: z.uuid() });
export const webhookDeliveriesQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(50),
});

export type CreateWebhook = z.infer<typeof createWebhookSchema>;
export type UpdateWebhook = z.infer<typeof updateWebhookSchema>;
export type WebhookView = z.infer<typeof webhookSchema>;
export type WebhookDeliveryView = z.infer<typeof webhookDeliverySchema>;
