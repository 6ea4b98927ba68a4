import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { HealthService } from '../../services/health-service.js';

const tags = ['health'];

/** Probed every few seconds by orchestrators: their request logs are debug, not info, noise. */
export const healthCheckPaths: ReadonlySet<string> = new Set(['/healthz', '/readyz']);

const readinessSchema = z
  .object({
    status: z.enum(['ready', 'unavailable']),
    checks: z.record(z.string(), z.object({ ok: z.boolean(), error: z.string().optional() })),
  })
  .meta({ id: 'Readiness' });

export const healthRoutes: FastifyPluginAsyncZod<{ health: HealthService }> = async (
  app,
  { health },
) => {
  // Fastify's own request logging is off for these paths (build-server.ts); one debug line instead.
  app.addHook('onResponse', async (request, reply) => {
    request.log.debug(
      { url: request.url, statusCode: reply.statusCode, responseTime: reply.elapsedTime },
      'health check',
    );
  });

  app.get(
    '/healthz',
    {
      schema: {
        tags,
        summary: 'Liveness: the process is up',
        response: { 200: z.object({ status: z.literal('ok') }) },
      },
    },
    () => ({ status: 'ok' as const }),
  );

  app.get(
    '/readyz',
    {
      schema: {
        tags,
        summary: 'Readiness: PostgreSQL and Redis answer',
        response: { 200: readinessSchema, 503: readinessSchema },
      },
    },
    async (_request, reply) => {
      const readiness = await health.readiness();
      return reply.code(readiness.status === 'ready' ? 200 : 503).send(readiness);
    },
  );
};
