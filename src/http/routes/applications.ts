import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  applicationSchema,
  appParamsSchema,
  createApplicationSchema,
  updateApplicationSchema,
} from '../../schemas/application.js';
import { pageSchema, paginationQuerySchema } from '../../schemas/pagination.js';
import type { ApplicationService } from '../../services/application-service.js';
import { problemResponses } from '../problem-responses.js';

const tags = ['applications'];

export const applicationRoutes: FastifyPluginAsyncZod<{
  applications: ApplicationService;
}> = async (app, { applications }) => {
  app.post(
    '/apps',
    {
      schema: {
        tags,
        summary: 'Create an application',
        body: createApplicationSchema,
        response: { 201: applicationSchema, ...problemResponses(400, 409, 413, 415) },
      },
    },
    async (request, reply) => reply.code(201).send(await applications.create(request.body)),
  );

  app.get(
    '/apps',
    {
      schema: {
        tags,
        summary: 'List applications, sorted by name',
        querystring: paginationQuerySchema,
        response: { 200: pageSchema(applicationSchema), ...problemResponses(400) },
      },
    },
    (request) => applications.list(request.query),
  );

  app.get(
    '/apps/:app',
    {
      schema: {
        tags,
        summary: 'Get an application',
        params: appParamsSchema,
        response: { 200: applicationSchema, ...problemResponses(400, 404) },
      },
    },
    (request) => applications.get(request.params.app),
  );

  app.patch(
    '/apps/:app',
    {
      schema: {
        tags,
        summary: 'Rename an application or change its description',
        params: appParamsSchema,
        body: updateApplicationSchema,
        response: { 200: applicationSchema, ...problemResponses(400, 404, 409, 413, 415) },
      },
    },
    (request) => applications.update(request.params.app, request.body),
  );

  app.delete(
    '/apps/:app',
    {
      schema: {
        tags,
        summary: 'Delete an application, its settings and deployment history',
        description:
          'Refused with 409 while a deployment is queued or running. The live web container is removed by the worker shortly after.',
        params: appParamsSchema,
        response: { 204: z.undefined().describe('Deleted'), ...problemResponses(400, 404, 409) },
      },
    },
    async (request, reply) => {
      await applications.remove(request.params.app);
      return reply.code(204).send();
    },
  );
};
