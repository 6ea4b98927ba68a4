import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { AppError } from '../../domain/errors.js';

/** The charset parameter of a Content-Type header, lowercased; null when there is none. */
function charsetOf(contentType: string | undefined): string | null {
  const match = /;\s*charset\s*=\s*"?([^";\s]*)"?/i.exec(contentType ?? '');
  return match?.[1] === undefined ? null : match[1].toLowerCase();
}

/**
 * JSON bodies are UTF-8 (RFC 8259 §8.1). Fastify ignores the charset parameter and its parser
 * quietly drops a byte order mark, so a body in another encoding would be misread rather than
 * refused: other charsets are a 415, a BOM is malformed JSON (400).
 */
async function jsonBodyPlugin(app: FastifyInstance) {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const charset = charsetOf(request.headers['content-type']);
    if (charset !== null && charset !== 'utf-8' && charset !== 'utf8') {
      done(
        new AppError(
          'UNSUPPORTED_MEDIA_TYPE',
          `JSON bodies must be UTF-8, not charset=${charset.slice(0, 40)}`,
        ),
        undefined,
      );
      return;
    }
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.startsWith('\uFEFF')) {
      done(
        new AppError('MALFORMED_JSON', 'the body starts with a byte order mark: send plain UTF-8'),
        undefined,
      );
      return;
    }
    // Fastify's parser answers through `done`; its type also allows a promise, hence the void.
    void parseJson(request, text, done);
  });
}

export default fp(jsonBodyPlugin, { name: 'json-body' });
