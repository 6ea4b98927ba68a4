import { describe, expect, test } from 'vitest';
import { decodeCursor, encodeCursor } from '../../src/domain/cursor.js';
import { AppError } from '../../src/domain/errors.js';

function decodeError(cursor: string): AppError {
  try {
    decodeCursor(cursor);
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(cursor)} to be rejected`);
}

describe('cursor', () => {
  test.each(['a', 'my-app', 'a'.repeat(63), 'z9-', 'ünïcode 🚀', 'quote"back\\slash'])(
    'round-trips %j',
    (key) => {
      expect(decodeCursor(encodeCursor(key))).toBe(key);
    },
  );

  test('is URL-safe base64 without padding', () => {
    for (const key of ['a', 'ab', 'abc', '???>>>', 'x'.repeat(100)]) {
      expect(encodeCursor(key)).toMatch(/^[A-Za-z0-9_-]+$/);
    }
  });

  test('does not show the key in clear text', () => {
    expect(encodeCursor('my-app')).not.toContain('my-app');
  });

  test('different keys give different cursors', () => {
    expect(encodeCursor('a')).not.toBe(encodeCursor('b'));
  });

  test.each([
    ['not base64 at all', '!!!'],
    ['empty', ''],
    ['base64 of plain text', Buffer.from('hello').toString('base64url')],
    ['base64 of a number', Buffer.from('5').toString('base64url')],
    ['base64 of null', Buffer.from('null').toString('base64url')],
    ['base64 of a string', Buffer.from('"a"').toString('base64url')],
    ['base64 of an array', Buffer.from('["a"]').toString('base64url')],
    ['base64 of an object without k', Buffer.from('{"key":"a"}').toString('base64url')],
    ['base64 of a numeric k', Buffer.from('{"k":1}').toString('base64url')],
    ['base64 of a null k', Buffer.from('{"k":null}').toString('base64url')],
    ['base64 of an object k', Buffer.from('{"k":{}}').toString('base64url')],
    ['truncated', encodeCursor('my-app').slice(0, 5)],
  ])('rejects a cursor that is %s with 400 VALIDATION_FAILED at /cursor', (_label, cursor) => {
    const error = decodeError(cursor);
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.status).toBe(400);
    expect(error.issues?.map((issue) => issue.path)).toEqual(['/cursor']);
  });

  test('a __proto__ key in the decoded JSON does not pollute anything', () => {
    const cursor = Buffer.from('{"__proto__":{"k":"x"}}').toString('base64url');
    expect(decodeError(cursor).code).toBe('VALIDATION_FAILED');
    expect(({} as Record<string, unknown>).k).toBeUndefined();
  });
});
