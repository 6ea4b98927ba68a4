import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import {
  createdWebhookSchema,
  createWebhookSchema,
  updateWebhookSchema,
  webhookDeliveriesQuerySchema,
  webhookDeliveryParamsSchema,
  webhookDeliverySchema,
  webhookListSchema,
  webhookParamsSchema,
  webhookSchema,
} from '../../schemas/webhook.js';
import { z } from 'zod';
import type { WebhookService } from '../../services/webhook-service.js';
import { problemResponses } from '../problem-responses.js';

const tags = ['webhooks'];

export const webhookRoutes: FastifyPluginAsyncZod<{ webhooks: WebhookService }> = async (
  app,
  { webhooks },
) => {
  app.post(
    '/webhooks',
    {
      schema: {
        tags,
        summary: 'Create a webhook (its signing secret is shown once)',
        description:
          'Events are POSTed as JSON signed following Standard Webhooks (webhook-id, webhook-timestamp, webhook-signature: v1,<HMAC-SHA256>). Failed deliveries are retried with exponential back-off for 24 h.',
        body: createWebhookSchema,
        response: { 201: createdWebhookSchema, ...problemResponses(400, 404, 413, 415, 422) },
      },
    },
    async (request, reply) => reply.code(201).send(await webhooks.create(request.body)),
  );

  app.get(
    '/webhooks',
    {
      schema: {
        tags,
        summary: 'List webhooks (never their secrets)',
        response: { 200: webhookListSchema, ...problemResponses(400) },
      },
    },
    () => webhooks.list(),
  );

  app.get(
    '/webhooks/:id',
    {
      schema: {
        tags,
        summary: 'Get a webhook',
        params: webhookParamsSchema,
        response: { 200: webhookSchema, ...problemResponses(400, 404) },
      },
    },
    (request) => webhooks.get(request.params.id),
  );

  app.patch(
    '/webhooks/:id',
    {
      schema: {
        tags,
        summary: 'Change a webhook (partial update)',
        params: webhookParamsSchema,
        body: updateWebhookSchema,
        response: { 200: webhookSchema, ...problemResponses(400, 404, 413, 415, 422) },
      },
    },
    (request) => webhooks.update(request.params.id, request.body),
  );

  app.delete(
    '/webhooks/:id',
    {
      schema: {
        tags,
        summary: 'Delete a webhook and its delivery history',
        params: webhookParamsSchema,
        response: { 204: z.undefined().describe('Deleted'), ...problemResponses(400, 404) },
      },
    },
    async (request, reply) => {
      await webhooks.delete(request.params.id);
      return reply.code(204).send();
    },
  );

  app.get(
    '/webhooks/:id/deliveries',
    {
      schema: {
        tags,
        summary: 'Deliveries of a webhook, newest first, with every attempt',
        params: webhookParamsSchema,
        querystring: webhookDeliveriesQuerySchema,
        response: {
          200: z.object({ items: z.array(webhookDeliverySchema) }),
          ...problemResponses(400, 404),
        },
      },
    },
    (request) => webhooks.deliveries(request.params.id, request.query.limit),
  );

  app.post(
    '/webhooks/:id/deliveries/:deliveryId/redeliver',
    {
      schema: {
        tags,
        summary: 'Send a delivery again (same webhook-id and payload)',
        params: webhookDeliveryParamsSchema,
        response: { 202: webhookDeliverySchema, ...problemResponses(400, 404) },
      },
    },
    async (request, reply) =>
      reply.code(202).send(await webhooks.redeliver(request.params.id, request.params.deliveryId)),
  );
};
