import { describe, expect, test } from 'vitest';
import { isConnectionError, isUniqueViolation } from '../../src/db/prisma-errors.js';
import { AppError } from '../../src/domain/errors.js';
import { SecretDecryptionError } from '../../src/domain/secret-box.js';

function errnoError(code: string): Error {
  return Object.assign(new Error(`connect ${code} 127.0.0.1:5432`), { code });
}

describe('isConnectionError', () => {
  test.each(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND'])(
    'an %s errno is a connection error',
    (code) => {
      expect(isConnectionError(errnoError(code))).toBe(true);
    },
  );

  test('a "Connection terminated" message is a connection error', () => {
    expect(isConnectionError(new Error('Connection terminated unexpectedly'))).toBe(true);
  });

  test.each([
    ['a plain error', new Error('boom')],
    [
      'a TypeError mentioning connect',
      new TypeError("Cannot read properties of undefined (reading 'connect')"),
    ],
    [
      'an AppError whose message mentions a connection',
      new AppError('VALIDATION_FAILED', 'connection refused by policy'),
    ],
    ['a string', 'ECONNREFUSED'],
    ['undefined', undefined],
    ['null', null],
    ['an errno that is not about connectivity', errnoError('ENOENT')],
  ])('%s is not a connection error', (_label, error) => {
    expect(isConnectionError(error)).toBe(false);
  });
});

describe('isUniqueViolation', () => {
  test('plain errors are not unique violations', () => {
    expect(isUniqueViolation(new Error('duplicate key value violates unique constraint'))).toBe(
      false,
    );
    expect(isUniqueViolation(Object.assign(new Error('x'), { code: 'P2002' }))).toBe(false);
  });
});

describe('errors of our own are never taken for connection errors', () => {
  test('a decryption error naming a variable like DB_CONNECTION is not retried as a connection error', () => {
    const error = new SecretDecryptionError('secret DB_CONNECTION_TIMEOUT of app "shop"', {
      cause: new Error('Unsupported state or unable to authenticate data'),
    });
    expect(isConnectionError(error)).toBe(false);
  });
});
