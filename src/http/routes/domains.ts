import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { appParamsSchema } from '../../schemas/application.js';
import { domainListSchema, domainParamsSchema, domainSchema } from '../../schemas/domain.js';
import type { DomainService } from '../../services/domain-service.js';
import { problemResponses } from '../problem-responses.js';

const tags = ['domains'];

export const domainRoutes: FastifyPluginAsyncZod<{ domains: DomainService }> = async (
  app,
  { domains },
) => {
  app.get(
    '/apps/:app/domains',
    {
      schema: {
        tags,
        summary: 'Hostnames routed to an application',
        description:
          'Sorted by hostname; when SLIPWAY_BASE_DOMAIN is set, the default hostname `<app>.<base>` comes first (`"default": true`).',
        params: appParamsSchema,
        response: { 200: domainListSchema, ...problemResponses(400, 404) },
      },
    },
    (request) => domains.list(request.params.app),
  );

  app.put(
    '/apps/:app/domains/:hostname',
    {
      schema: {
        tags,
        summary: 'Route a hostname to an application',
        description:
          "Idempotent: 201 when the hostname is new to the app, 200 when it already had it. The hostname is lower-cased; a hostname belongs to one application at most (409 `DOMAIN_TAKEN` otherwise, also for another app's default hostname). At most 100 per app.",
        params: domainParamsSchema,
        response: {
          200: domainSchema,
          201: domainSchema,
          ...problemResponses(400, 404, 409, 422),
        },
      },
    },
    async (request, reply) => {
      const { domain, created } = await domains.put(request.params.app, request.params.hostname);
      return reply.code(created ? 201 : 200).send(domain);
    },
  );

  app.delete(
    '/apps/:app/domains/:hostname',
    {
      schema: {
        tags,
        summary: 'Stop routing a hostname to an application',
        description: 'The default hostname (from SLIPWAY_BASE_DOMAIN) cannot be removed (422).',
        params: domainParamsSchema,
        response: {
          204: z.undefined().describe('Deleted'),
          ...problemResponses(400, 404, 422),
        },
      },
    },
    async (request, reply) => {
      await domains.remove(request.params.app, request.params.hostname);
      return reply.code(204).send();
    },
  );
};
