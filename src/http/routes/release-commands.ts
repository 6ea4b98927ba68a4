import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { appParamsSchema } from '../../schemas/application.js';
import {
  createReleaseCommandSchema,
  releaseCommandOrderSchema,
  releaseCommandParamsSchema,
  releaseCommandSchema,
  updateReleaseCommandSchema,
} from '../../schemas/release-command.js';
import type { ReleaseCommandService } from '../../services/release-command-service.js';
import { problemResponses } from '../problem-responses.js';

const tags = ['release-commands'];
const commandList = z.object({ items: z.array(releaseCommandSchema) });

export const releaseCommandRoutes: FastifyPluginAsyncZod<{
  releaseCommands: ReleaseCommandService;
}> = async (app, { releaseCommands }) => {
  app.get(
    '/apps/:app/release-commands',
    {
      schema: {
        tags,
        summary: 'Release commands in execution order',
        params: appParamsSchema,
        response: { 200: commandList, ...problemResponses(400, 404) },
      },
    },
    async (request) => ({ items: await releaseCommands.list(request.params.app) }),
  );

  app.post(
    '/apps/:app/release-commands',
    {
      schema: {
        tags,
        summary: 'Append a release command (runs after the existing ones)',
        params: appParamsSchema,
        body: createReleaseCommandSchema,
        response: { 201: releaseCommandSchema, ...problemResponses(400, 404, 413, 415, 422) },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await releaseCommands.append(request.params.app, request.body)),
  );

  // Registered before '/:id' routes only for readability; find-my-way prefers static segments anyway.
  app.put(
    '/apps/:app/release-commands/order',
    {
      schema: {
        tags,
        summary: 'Reorder release commands',
        description: 'ids must be exactly the current command ids (a permutation), else 422.',
        params: appParamsSchema,
        body: releaseCommandOrderSchema,
        response: { 200: commandList, ...problemResponses(400, 404, 413, 415, 422) },
      },
    },
    async (request) => ({
      items: await releaseCommands.reorder(request.params.app, request.body.ids),
    }),
  );

  app.get(
    '/apps/:app/release-commands/:id',
    {
      schema: {
        tags,
        summary: 'Get a release command',
        params: releaseCommandParamsSchema,
        response: { 200: releaseCommandSchema, ...problemResponses(400, 404) },
      },
    },
    (request) => releaseCommands.get(request.params.app, request.params.id),
  );

  app.patch(
    '/apps/:app/release-commands/:id',
    {
      schema: {
        tags,
        summary: 'Change a release command (partial update; position is changed by reordering)',
        params: releaseCommandParamsSchema,
        body: updateReleaseCommandSchema,
        response: { 200: releaseCommandSchema, ...problemResponses(400, 404, 413, 415) },
      },
    },
    (request) => releaseCommands.update(request.params.app, request.params.id, request.body),
  );

  app.delete(
    '/apps/:app/release-commands/:id',
    {
      schema: {
        tags,
        summary: 'Delete a release command',
        params: releaseCommandParamsSchema,
        response: { 204: z.undefined().describe('Deleted'), ...problemResponses(400, 404) },
      },
    },
    async (request, reply) => {
      await releaseCommands.remove(request.params.app, request.params.id);
      return reply.code(204).send();
    },
  );
};
