import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { AppError } from '../../domain/errors.js';
import { problemResponse } from '../problem-responses.js';

function hasBody(request: FastifyRequest): boolean {
  const length = request.headers['content-length'];
  return (
    request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0')
  );
}

/**
 * A route without a body schema takes no body: a request that sends one anyway is a 415 before
 * anything is parsed, so nothing a caller sends there can reach a handler, a log or the audit
 * entry (issue 11). Documented as a 415 response of every such operation.
 */
async function noBodyPlugin(app: FastifyInstance) {
  app.addHook('onRoute', (route) => {
    const schema = route.schema;
    if (schema?.body !== undefined) return;
    const refuse = async (request: FastifyRequest) => {
      if (hasBody(request)) {
        throw new AppError(
          'UNSUPPORTED_MEDIA_TYPE',
          `${request.method} ${route.url} takes no request body; send none`,
        );
      }
    };
    const existing = route.preParsing;
    route.preParsing =
      existing === undefined
        ? [refuse]
        : [refuse, ...(Array.isArray(existing) ? existing : [existing])];
    if (route.method === 'HEAD' || schema === undefined || schema.hide === true) return;
    const response: unknown = schema.response;
    if (typeof response === 'object' && response !== null) {
      // A copy, never an edit: the schema object may be shared with the route's HEAD twin.
      route.schema = { ...schema, response: { ...response, 415: problemResponse } };
    }
  });
}

export default fp(noBodyPlugin, { name: 'no-body' });
