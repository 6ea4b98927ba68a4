import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';

export const apiVersion = '0.1.0';

async function openapiPlugin(app: FastifyInstance) {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Slipway',
        description:
          'Self-hosted deployment control plane: applications, their deploy settings and release commands, and deployments of images to a Docker host.',
        version: apiVersion,
      },
      tags: [
        { name: 'applications', description: 'Create and manage applications' },
        { name: 'settings', description: 'Web container and startup probe settings' },
        { name: 'release-commands', description: 'Commands run before each release goes live' },
        { name: 'deployments', description: 'Deploy images and follow their progress' },
        { name: 'health', description: 'Liveness and readiness' },
      ],
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, () => app.swagger());
}

export default fp(openapiPlugin, { name: 'openapi' });
