import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { appParamsSchema } from '../../schemas/application.js';
import {
  registryCredentialsSchema,
  setRegistryCredentialsSchema,
} from '../../schemas/registry-credentials.js';
import type { RegistryCredentialService } from '../../services/registry-credential-service.js';
import { problemResponses } from '../problem-responses.js';

const tags = ['registry-credentials'];

export const registryCredentialRoutes: FastifyPluginAsyncZod<{
  credentials: RegistryCredentialService;
}> = async (app, { credentials }) => {
  app.get(
    '/apps/:app/registry-credentials',
    {
      schema: {
        tags,
        summary: 'Which registry credentials the pull step uses (never the password)',
        params: appParamsSchema,
        response: { 200: registryCredentialsSchema, ...problemResponses(400, 404) },
      },
    },
    (request) => credentials.get(request.params.app),
  );

  app.put(
    '/apps/:app/registry-credentials',
    {
      schema: {
        tags,
        summary: 'Set the registry credentials of an application',
        description:
          'Used by the pull step for images on that registry only; images on other registries are pulled without them.',
        params: appParamsSchema,
        body: setRegistryCredentialsSchema,
        response: {
          200: registryCredentialsSchema,
          ...problemResponses(400, 404, 413, 415),
        },
      },
    },
    (request) => credentials.set(request.params.app, request.body),
  );

  app.delete(
    '/apps/:app/registry-credentials',
    {
      schema: {
        tags,
        summary: 'Remove the registry credentials of an application',
        params: appParamsSchema,
        response: {
          204: z.undefined().describe('Removed'),
          ...problemResponses(400, 404),
        },
      },
    },
    async (request, reply) => {
      await credentials.remove(request.params.app);
      return reply.code(204).send();
    },
  );
};
