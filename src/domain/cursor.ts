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

/** A cursor whose key is a row sequence or id (digits only, within PostgreSQL's bigint). */
export function decodeNumericCursor(cursor: string): bigint {
  const key = decodeCursor(cursor);
  if (!/^\d{1,19}$/.test(key) || BigInt(key) > 9_223_372_036_854_775_807n) {
    throw invalidCursor(undefined);
  }
  return BigInt(key);
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/**
 * The page of `rows`, which were read with `limit + 1`: the extra row tells whether another page
 * exists without a count query. The cursor is the key of the last item returned.
 */
export function pageOf<R, T>(
  rows: R[],
  limit: number,
  keyOf: (row: R) => string,
  view: (row: R) => T,
): Page<T> {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return {
    items: items.map(view),
    nextCursor: rows.length > limit && last !== undefined ? encodeCursor(keyOf(last)) : null,
  };
}
