import { randomBytes } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import {
  envVarContext,
  open,
  parseSecretKey,
  registryPasswordContext,
  seal,
  SecretDecryptionError,
  SecretKeyError,
} from '../../src/domain/secret-box.js';

const key = randomBytes(32);
const appId = '7b0e4c8e-0000-4000-8000-000000000001';
const context = envVarContext(appId, 'DATABASE_PASSWORD');

describe('secret box', () => {
  test('seals and opens a value', () => {
    const sealed = seal(key, 'p@ss wörd 🔑\nline 2', context);
    expect(open(key, sealed, context, 'x')).toBe('p@ss wörd 🔑\nline 2');
  });

  test('the sealed form carries no trace of the value and differs every time (random nonce)', () => {
    const first = seal(key, 'hunter2-hunter2', context);
    const second = seal(key, 'hunter2-hunter2', context);
    expect(first).not.toBe(second);
    expect(first).toMatch(/^v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/);
    expect(first).not.toContain('hunter2');
    expect(Buffer.from(first.split('.')[2] ?? '', 'base64url').toString('latin1')).not.toContain(
      'hunter2',
    );
  });

  test('an empty value round-trips', () => {
    expect(open(key, seal(key, '', context), context, 'x')).toBe('');
  });

  test('a wrong key fails loudly instead of returning garbage', () => {
    const sealed = seal(key, 'the value', context);
    const wrong = randomBytes(32);
    expect(() => open(wrong, sealed, context, 'secret DATABASE_PASSWORD of app "shop"')).toThrow(
      SecretDecryptionError,
    );
    expect(() => open(wrong, sealed, context, 'secret DATABASE_PASSWORD of app "shop"')).toThrow(
      'cannot decrypt secret DATABASE_PASSWORD of app "shop": wrong SLIPWAY_SECRET_KEY or corrupted data',
    );
  });

  test('a value moved to another app or name does not open (associated data)', () => {
    const sealed = seal(key, 'the value', context);
    expect(() => open(key, sealed, envVarContext(appId, 'OTHER'), 'x')).toThrow(
      SecretDecryptionError,
    );
    expect(() =>
      open(
        key,
        sealed,
        envVarContext('7b0e4c8e-0000-4000-8000-000000000002', 'DATABASE_PASSWORD'),
        'x',
      ),
    ).toThrow(SecretDecryptionError);
    expect(() => open(key, sealed, registryPasswordContext(appId), 'x')).toThrow(
      SecretDecryptionError,
    );
  });

  test.each([
    ['flipped ciphertext bit', (s: string) => flip(s, 2)],
    ['flipped nonce bit', (s: string) => flip(s, 1)],
    ['truncated', (s: string) => s.slice(0, -4)],
    ['unknown version', (s: string) => s.replace(/^v1/, 'v9')],
    ['not sealed at all', () => 'plain text'],
    ['extra part', (s: string) => `${s}.x`],
    ['empty', () => ''],
  ])('tampered data fails loudly: %s', (_label, tamper) => {
    const sealed = seal(key, 'the value', context);
    expect(() => open(key, tamper(sealed), context, 'x')).toThrow(SecretDecryptionError);
  });
});

describe('SLIPWAY_SECRET_KEY parsing', () => {
  test('64 hex characters', () => {
    const hex = key.toString('hex');
    expect(parseSecretKey(hex).equals(key)).toBe(true);
    expect(parseSecretKey(hex.toUpperCase()).equals(key)).toBe(true);
  });

  test('base64 and base64url of 32 bytes', () => {
    expect(parseSecretKey(key.toString('base64')).equals(key)).toBe(true);
    expect(parseSecretKey(key.toString('base64url')).equals(key)).toBe(true);
  });

  test.each([
    '',
    'short',
    'a'.repeat(63),
    'g'.repeat(64),
    randomBytes(16).toString('base64'),
    randomBytes(33).toString('base64'),
  ])('rejects %j', (text) => {
    expect(() => parseSecretKey(text)).toThrow(SecretKeyError);
  });
});

function flip(sealed: string, part: number): string {
  const parts = sealed.split('.');
  const bytes = Buffer.from(parts[part] ?? '', 'base64url');
  bytes[0] = (bytes[0] ?? 0) ^ 1;
  parts[part] = bytes.toString('base64url');
  return parts.join('.');
}
