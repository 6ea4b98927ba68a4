import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { appParamsSchema } from '../../schemas/application.js';
import { auditEventSchema } from '../../schemas/audit.js';
import { pageSchema, paginationQuerySchema } from '../../schemas/pagination.js';
import type { AuditService } from '../../services/audit-service.js';
import { problemResponses } from '../problem-responses.js';

const tags = ['audit'];

export const auditRoutes: FastifyPluginAsyncZod<{ audit: AuditService }> = async (
  app,
  { audit },
) => {
  app.get(
    '/audit',
    {
      schema: {
        tags,
        summary: 'The audit log, newest first',
        querystring: paginationQuerySchema,
        response: {
          200: pageSchema(auditEventSchema),
          ...problemResponses(400),
        },
      },
    },
    (request) => audit.list(request.query),
  );

  app.get(
    '/apps/:app/audit',
    {
      schema: {
        tags,
        summary: 'The audit log of one application, newest first',
        params: appParamsSchema,
        querystring: paginationQuerySchema,
        response: {
          200: pageSchema(auditEventSchema),
          ...problemResponses(400, 404),
        },
      },
    },
    (request) => audit.listForApp(request.params.app, request.query),
  );
};
