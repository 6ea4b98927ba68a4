import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { apiVersion } from '../api-version.js';
import { operationIdFor } from '../operation-ids.js';
import { markOptionalBodies, pruneUnusedSchemas } from '../openapi-prune.js';
import { bearerSecurityScheme } from './auth.js';

async function openapiPlugin(app: FastifyInstance) {
  // Start-up fails for a documented route without a stable name, so clients never see one change.
  app.addHook('onRoute', (route) => {
    const schema = route.schema;
    if (schema === undefined || schema.hide === true) return;
    const methods = (Array.isArray(route.method) ? route.method : [route.method]).filter(
      (method) => method !== 'HEAD',
    );
    const [method] = methods;
    if (method === undefined) return;
    const operationId = operationIdFor(method, route.url);
    if (operationId === undefined || methods.length > 1) {
      throw new Error(
        `route ${methods.join(',')} ${route.url} has no operationId: add it to src/http/operation-ids.ts`,
      );
    }
    route.schema = { ...schema, operationId };
  });
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Slipway',
        description:
          'Self-hosted deployment control plane: applications, their deploy settings and release commands, and deployments of images to a Docker host.',
        version: apiVersion,
        // The project publishes no licence; the field says so rather than being left out.
        license: { name: 'UNLICENSED' },
      },
      servers: [
        {
          url: '/',
          description: 'The installation serving this document',
        },
      ],
      tags: [
        { name: 'applications', description: 'Create and manage applications' },
        { name: 'settings', description: 'Web container and startup probe settings' },
        { name: 'release-commands', description: 'Commands run before each release goes live' },
        { name: 'deployments', description: 'Deploy images and follow their progress' },
        { name: 'env', description: 'Environment variables and secrets of the containers' },
        { name: 'domains', description: 'Hostnames the ingress routes to each application' },
        { name: 'registry-credentials', description: 'Credentials the pull step uses' },
        { name: 'tokens', description: 'API tokens and their scopes' },
        { name: 'audit', description: 'Who changed what, when, from where' },
        { name: 'webhooks', description: 'Signed deployment events POSTed to other systems' },
        { name: 'health', description: 'Liveness and readiness' },
      ],
      components: {
        securitySchemes: {
          [bearerSecurityScheme]: {
            type: 'http',
            scheme: 'bearer',
            description:
              'An API token: the bootstrap admin token (SLIPWAY_ADMIN_TOKEN) or one issued by POST /v1/tokens',
          },
        },
      },
    },
    transform: jsonSchemaTransform,
    transformObject: (document) =>
      markOptionalBodies(pruneUnusedSchemas(jsonSchemaTransformObject(document))),
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, () => app.swagger());
}

export default fp(openapiPlugin, { name: 'openapi' });
