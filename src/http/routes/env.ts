import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { appParamsSchema } from '../../schemas/application.js';
import {
  envVarListSchema,
  envVarParamsSchema,
  envVarSchema,
  setEnvVarSchema,
} from '../../schemas/env-var.js';
import type { EnvService } from '../../services/env-service.js';
import { problemResponses } from '../problem-responses.js';

const tags = ['env'];

export const envRoutes: FastifyPluginAsyncZod<{ env: EnvService }> = async (app, { env }) => {
  app.get(
    '/apps/:app/env',
    {
      schema: {
        tags,
        summary: 'Environment variables of an application, by name',
        description:
          'Secret values are never returned: they read as `"value": null, "secret": true`.',
        params: appParamsSchema,
        response: { 200: envVarListSchema, ...problemResponses(400, 404) },
      },
    },
    (request) => env.list(request.params.app),
  );

  app.put(
    '/apps/:app/env/:name',
    {
      schema: {
        tags,
        summary: 'Set an environment variable (create or replace)',
        description:
          'Deployments triggered afterwards get the new value; running and queued ones keep the variables they were triggered with. At most 500 variables per app.',
        params: envVarParamsSchema,
        body: setEnvVarSchema,
        response: {
          200: envVarSchema,
          201: envVarSchema,
          ...problemResponses(400, 404, 413, 415, 422),
        },
      },
    },
    async (request, reply) => {
      const { envVar, created } = await env.set(
        request.params.app,
        request.params.name,
        request.body,
      );
      return reply.code(created ? 201 : 200).send(envVar);
    },
  );

  app.delete(
    '/apps/:app/env/:name',
    {
      schema: {
        tags,
        summary: 'Delete an environment variable',
        params: envVarParamsSchema,
        response: {
          204: z.undefined().describe('Deleted'),
          ...problemResponses(400, 404),
        },
      },
    },
    async (request, reply) => {
      await env.remove(request.params.app, request.params.name);
      return reply.code(204).send();
    },
  );
};
