import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyBaseLogger } from 'fastify';
import { AppError } from '../domain/errors.js';
import { problemOf } from './plugins/error-handler.js';

function appErrorOf(error: NodeJS.ErrnoException): AppError {
  if (error.code === 'HPE_HEADER_OVERFLOW') {
    return new AppError(
      'HEADERS_TOO_LARGE',
      'the request line or headers are too large (at most 16 KiB, 2,000 headers)',
    );
  }
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    return new AppError('REQUEST_TIMEOUT', 'the request was not received in time');
  }
  return new AppError(
    'VALIDATION_FAILED',
    'the request is not valid HTTP/1.1 (e.g. a control character such as a stray CR in a header)',
  );
}

/**
 * Requests Node's HTTP parser rejects never reach Fastify; they get the same problem+json and
 * x-request-id as everything else instead of Fastify's bare default answer.
 */
export function createClientErrorHandler(logger: FastifyBaseLogger) {
  return (error: NodeJS.ErrnoException, socket: Duplex): void => {
    // A reset connection has nobody left to answer.
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    const appError = appErrorOf(error);
    const requestId = randomUUID();
    logger.info(
      { reqId: requestId, code: appError.code, parserError: error.code },
      'request rejected by the HTTP parser',
    );
    if (socket.writable) {
      const body = JSON.stringify(problemOf(appError, undefined, requestId));
      socket.write(
        [
          `HTTP/1.1 ${appError.status} ${STATUS_CODES[appError.status] ?? 'Error'}`,
          'Content-Type: application/problem+json; charset=utf-8',
          `Content-Length: ${Buffer.byteLength(body)}`,
          `X-Request-Id: ${requestId}`,
          'Connection: close',
          '',
          body,
        ].join('\r\n'),
      );
    }
    socket.destroy();
  };
}
