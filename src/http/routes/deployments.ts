import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { appParamsSchema } from '../../schemas/application.js';
import {
  deploymentParamsSchema,
  deploymentSchema,
  deploymentSummarySchema,
  releaseSchema,
  triggerDeploymentSchema,
} from '../../schemas/deployment.js';
import { pageSchema, paginationQuerySchema } from '../../schemas/pagination.js';
import type { DeploymentService } from '../../services/deployment-service.js';
import { problemResponses } from '../problem-responses.js';

const tags = ['deployments'];

export const deploymentRoutes: FastifyPluginAsyncZod<{ deployments: DeploymentService }> = async (
  app,
  { deployments },
) => {
  app.post(
    '/apps/:app/deployments',
    {
      schema: {
        tags,
        summary: 'Deploy an image',
        description:
          'Snapshots the current settings, stores the deployment and queues it. A worker then pulls the image, runs the release commands, starts and probes the web container, and only then makes it the live release.',
        params: appParamsSchema,
        body: triggerDeploymentSchema,
        response: { 202: deploymentSchema, ...problemResponses(400, 404, 413, 415, 503) },
      },
    },
    async (request, reply) =>
      reply.code(202).send(await deployments.trigger(request.params.app, request.body.image)),
  );

  app.get(
    '/apps/:app/deployments',
    {
      schema: {
        tags,
        summary: 'Deployments of an application, newest first',
        params: appParamsSchema,
        querystring: paginationQuerySchema,
        response: { 200: pageSchema(deploymentSummarySchema), ...problemResponses(400, 404) },
      },
    },
    (request) => deployments.list(request.params.app, request.query),
  );

  app.get(
    '/apps/:app/release',
    {
      schema: {
        tags,
        summary: 'The live release of an application',
        params: appParamsSchema,
        response: { 200: releaseSchema, ...problemResponses(400, 404) },
      },
    },
    (request) => deployments.release(request.params.app),
  );

  app.get(
    '/deployments/:id',
    {
      schema: {
        tags,
        summary: 'A deployment with its steps',
        params: deploymentParamsSchema,
        response: { 200: deploymentSchema, ...problemResponses(400, 404) },
      },
    },
    (request) => deployments.get(request.params.id),
  );

  app.get(
    '/deployments/:id/log',
    {
      schema: {
        tags,
        summary: 'The deployment log as plain text',
        params: deploymentParamsSchema,
        produces: ['text/plain'],
        response: {
          200: {
            description: 'Every step under its heading, then the outcome',
            content: { 'text/plain': { schema: z.string() } },
          },
          ...problemResponses(400, 404),
        },
      },
    },
    async (request, reply) =>
      reply.type('text/plain; charset=utf-8').send(await deployments.log(request.params.id)),
  );
};
