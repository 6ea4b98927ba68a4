import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  createdTokenSchema,
  createTokenSchema,
  tokenParamsSchema,
  tokenSchema,
} from '../../schemas/token.js';
import type { TokenService } from '../../services/token-service.js';
import { problemResponses } from '../problem-responses.js';

const tags = ['tokens'];

export const tokenRoutes: FastifyPluginAsyncZod<{ tokens: TokenService }> = async (
  app,
  { tokens },
) => {
  app.post(
    '/tokens',
    {
      schema: {
        tags,
        summary: 'Create an API token',
        description:
          'The response carries the token itself; it is shown only this once (only a hash is stored).',
        body: createTokenSchema,
        response: {
          201: createdTokenSchema,
          ...problemResponses(400, 404, 413, 415),
        },
      },
    },
    async (request, reply) => reply.code(201).send(await tokens.create(request.body)),
  );

  app.get(
    '/tokens',
    {
      schema: {
        tags,
        summary: 'List API tokens (never their secrets)',
        response: { 200: z.object({ items: z.array(tokenSchema) }) },
      },
    },
    () => tokens.list(),
  );

  app.delete(
    '/tokens/:id',
    {
      schema: {
        tags,
        summary: 'Revoke an API token, effective immediately',
        params: tokenParamsSchema,
        response: {
          204: z.undefined().describe('Revoked'),
          ...problemResponses(400, 404),
        },
      },
    },
    async (request, reply) => {
      await tokens.revoke(request.params.id);
      return reply.code(204).send();
    },
  );
};
