import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Registry } from 'prom-client';
import { z } from 'zod';

export const metricsRoutes: FastifyPluginAsyncZod<{ metrics: Registry }> = async (
  app,
  { metrics },
) => {
  app.get(
    '/metrics',
    {
      schema: {
        tags: ['health'],
        summary: 'Prometheus metrics',
        description:
          'Deployments by status, queue depth, age of the oldest queued deployment, and process metrics. Step durations and probe attempts are observed by the worker and served on its own /metrics (WORKER_METRICS_PORT).',
        produces: ['text/plain'],
        response: {
          200: {
            description: 'Prometheus text format',
            content: { 'text/plain': { schema: z.string() } },
          },
        },
      },
    },
    async (_request, reply) => reply.type(metrics.contentType).send(await metrics.metrics()),
  );
};
