import { AppError } from './errors.js';

/** Cursors are opaque to clients: base64url JSON of the sort key of the last item returned. */
export function encodeCursor(key: string): string {
  return Buffer.from(JSON.stringify({ k: key }), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): string {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      typeof parsed === 'object' &&
      parsed !== null &&
      'k' in parsed &&
      typeof parsed.k === 'string' &&
      isPlausibleKey(parsed.k)
    ) {
      return parsed.k;
    }
  } catch (error) {
    throw invalidCursor(error);
  }
  throw invalidCursor(undefined);
}

/** Keys are names; anything else, notably NUL, is a forged or corrupted cursor. */
function isPlausibleKey(key: string): boolean {
  return key.length > 0 && key.length <= 255 && key.isWellFormed() && !/\p{Cc}/u.test(key);
}

function invalidCursor(cause: unknown): AppError {
  return new AppError('VALIDATION_FAILED', 'cursor is not one this API issued', {
    issues: [{ path: '/cursor', message: 'invalid cursor', location: 'querystring' }],
    cause,
  });
}
