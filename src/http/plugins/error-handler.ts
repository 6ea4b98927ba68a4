import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { AppError, type ErrorCode, type FieldIssue } from '../../domain/errors.js';
import type { Problem } from '../../schemas/problem.js';

/** Errors Fastify raises itself before a handler runs, mapped to our stable codes. */
const fastifyErrorCodes: Record<string, ErrorCode> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'MALFORMED_JSON',
  FST_ERR_CTP_INVALID_JSON_BODY: 'MALFORMED_JSON',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'VALIDATION_FAILED',
  // @fastify/static refuses paths that climb out of its root ("/docs/static/../../etc/passwd"):
  // for the caller there is simply no such file.
  FST_STATIC_FORBIDDEN_PATH: 'ROUTE_NOT_FOUND',
};

const codeByStatus: Partial<Record<number, ErrorCode>> = {
  400: 'VALIDATION_FAILED',
  403: 'FORBIDDEN',
  404: 'ROUTE_NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
  503: 'DEPENDENCY_UNAVAILABLE',
};

const titles: Partial<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export interface ErrorHandlerOptions {
  /** Recognises "the database/Redis is unreachable" so it becomes a 503 rather than a 500. */
  isDependencyUnavailable: (error: unknown) => boolean;
}

export function toProblem(error: AppError, request: FastifyRequest): Problem {
  return problemOf(error, request.url, request.id);
}

/** The problem document of an error; also for answers sent before there is a request object. */
export function problemOf(
  error: AppError,
  instance: string | undefined,
  requestId: string,
): Problem {
  return {
    type: `urn:slipway:problem:${error.code.toLowerCase().replaceAll('_', '-')}`,
    title: titles[error.status] ?? 'Error',
    status: error.status,
    detail: error.message,
    code: error.code,
    ...(instance === undefined ? {} : { instance }),
    requestId,
    ...(error.issues === undefined ? {} : { errors: [...error.issues] }),
  };
}

export function sendProblem(reply: FastifyReply, problem: Problem): FastifyReply {
  return reply.code(problem.status).type('application/problem+json; charset=utf-8').send(problem);
}

function normalise(error: FastifyError | Error, options: ErrorHandlerOptions): AppError {
  if (error instanceof AppError) return error;
  if (hasZodFastifySchemaValidationErrors(error)) {
    const location = locationOf(error.validationContext);
    const issues: FieldIssue[] = error.validation.map((issue) => ({
      path: issue.instancePath === '' ? '/' : issue.instancePath,
      message: issue.message ?? 'is invalid',
      ...(location === undefined ? {} : { location }),
    }));
    return new AppError('VALIDATION_FAILED', describeIssues(issues), { issues, cause: error });
  }
  const fastifyCode = 'code' in error && typeof error.code === 'string' ? error.code : undefined;
  const mapped = fastifyCode === undefined ? undefined : fastifyErrorCodes[fastifyCode];
  if (mapped !== undefined) return new AppError(mapped, error.message, { cause: error });
  if (options.isDependencyUnavailable(error)) {
    return new AppError(
      'DEPENDENCY_UNAVAILABLE',
      'a backing service is unavailable; retry shortly',
      {
        cause: error,
      },
    );
  }
  const status =
    'statusCode' in error && typeof error.statusCode === 'number' ? error.statusCode : 500;
  const byStatus = codeByStatus[status];
  if (status >= 400 && status < 500 && byStatus !== undefined) {
    return new AppError(byStatus, error.message, { cause: error });
  }
  return new AppError('INTERNAL', 'internal error; the request id identifies it in the logs', {
    cause: error,
  });
}

function locationOf(context: string | undefined): FieldIssue['location'] {
  return context === 'body' ||
    context === 'querystring' ||
    context === 'params' ||
    context === 'headers'
    ? context
    : undefined;
}

function describeIssues(issues: FieldIssue[]): string {
  const shown = issues.slice(0, 5).map((issue) => `${issue.path}: ${issue.message}`);
  const more = issues.length > shown.length ? ` (and ${issues.length - shown.length} more)` : '';
  return `request is invalid: ${shown.join('; ')}${more}`;
}

async function errorHandlerPlugin(app: FastifyInstance, options: ErrorHandlerOptions) {
  app.setErrorHandler((error: FastifyError | Error, request, reply) => {
    const appError = normalise(error, options);
    if (appError.status >= 500) {
      request.log.error({ err: error, code: appError.code }, 'request failed');
    } else {
      request.log.info({ code: appError.code, detail: appError.message }, 'request rejected');
    }
    return sendProblem(reply, toProblem(appError, request));
  });

  app.setNotFoundHandler((request, reply) =>
    sendProblem(
      reply,
      toProblem(
        new AppError(
          'ROUTE_NOT_FOUND',
          `no route for ${request.method} ${request.url.split('?')[0] ?? ''}`,
        ),
        request,
      ),
    ),
  );
}

export default fp(errorHandlerPlugin, { name: 'error-handler' });
