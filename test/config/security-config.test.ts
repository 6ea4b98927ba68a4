import { randomBytes } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { loadApiConfig } from '../../src/config/api-config.js';
import { ConfigError, loadConfig } from '../../src/config/config.js';
import { loadWorkerConfig } from '../../src/config/worker-config.js';

const key = randomBytes(32);
const base = {
  DATABASE_URL: 'postgresql://u@h/db',
  REDIS_URL: 'redis://h:6379',
  SLIPWAY_SECRET_KEY: key.toString('hex'),
  SLIPWAY_ADMIN_TOKEN: 'a'.repeat(32),
};

function configError(load: () => unknown): string {
  try {
    load();
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('SLIPWAY_SECRET_KEY', () => {
  test('is required by the API and the worker', () => {
    const { SLIPWAY_SECRET_KEY: _omitted, ...env } = base;
    expect(configError(() => loadApiConfig(env))).toMatch(/SLIPWAY_SECRET_KEY: is required/);
    expect(configError(() => loadWorkerConfig(env))).toMatch(/SLIPWAY_SECRET_KEY: is required/);
  });

  test('is parsed to 32 bytes from hex or base64', () => {
    expect(loadConfig(base).SLIPWAY_SECRET_KEY.equals(key)).toBe(true);
    const fromBase64 = loadConfig({ ...base, SLIPWAY_SECRET_KEY: key.toString('base64') });
    expect(fromBase64.SLIPWAY_SECRET_KEY.equals(key)).toBe(true);
  });

  test.each(['short', 'z'.repeat(64), randomBytes(16).toString('hex')])(
    'rejects %j without echoing it',
    (value) => {
      const message = configError(() => loadConfig({ ...base, SLIPWAY_SECRET_KEY: value }));
      expect(message).toMatch(/SLIPWAY_SECRET_KEY: must be 32 random bytes/);
      expect(message).not.toContain(value);
    },
  );
});

describe('SLIPWAY_ADMIN_TOKEN', () => {
  test('is required by the API (not by the worker)', () => {
    const { SLIPWAY_ADMIN_TOKEN: _omitted, ...env } = base;
    expect(configError(() => loadApiConfig(env))).toMatch(/SLIPWAY_ADMIN_TOKEN: is required/);
    expect(loadWorkerConfig(env).SLIPWAY_SECRET_KEY.equals(key)).toBe(true);
  });

  test('must be at least 32 characters', () => {
    const message = configError(() =>
      loadApiConfig({ ...base, SLIPWAY_ADMIN_TOKEN: 'a'.repeat(31) }),
    );
    expect(message).toMatch(/SLIPWAY_ADMIN_TOKEN: must be at least 32 characters/);
    expect(loadApiConfig(base).SLIPWAY_ADMIN_TOKEN).toBe('a'.repeat(32));
  });

  test('may not contain spaces (it travels in a header)', () => {
    expect(
      configError(() => loadApiConfig({ ...base, SLIPWAY_ADMIN_TOKEN: `${'a'.repeat(32)} b` })),
    ).toMatch(/SLIPWAY_ADMIN_TOKEN: must be printable ASCII/);
  });

  test('problems with both are reported together with the others', () => {
    const message = configError(() => loadApiConfig({ REDIS_URL: 'redis://h' }));
    for (const name of ['DATABASE_URL', 'SLIPWAY_SECRET_KEY', 'SLIPWAY_ADMIN_TOKEN']) {
      expect(message).toContain(`${name}: is required`);
    }
  });
});

describe('DOCKER_AUTH_CONFIG (issue 11, item 23)', () => {
  test.each([
    ['not JSON', '{"auths":{"r":{"auth":"c2VjcmV0LXB3"}}', /is not valid JSON/],
    ['a JSON array', '["c2VjcmV0LXB3"]', /must hold a JSON object/],
    ['auths not an object', '{"auths":"c2VjcmV0LXB3"}', /"auths" must be an object/],
    ['a number as password', '{"auths":{"r":{"password":12345678}}}', /password must be a string/],
  ])('%s stops the worker at start-up, without echoing the value', (_name, value, reason) => {
    const message = configError(() => loadWorkerConfig({ ...base, DOCKER_AUTH_CONFIG: value }));
    expect(message).toMatch(/DOCKER_AUTH_CONFIG: /);
    expect(message).toMatch(reason);
    expect(message).not.toContain('c2VjcmV0LXB3');
    expect(message).not.toContain('12345678');
  });

  test('control: a valid value, an empty one and none are accepted', () => {
    const valid = '{"auths":{"127.0.0.1:5000":{"auth":"dTpw"}}}';
    expect(loadWorkerConfig({ ...base, DOCKER_AUTH_CONFIG: valid }).DOCKER_AUTH_CONFIG).toBe(valid);
    expect(() => loadWorkerConfig({ ...base, DOCKER_AUTH_CONFIG: '' })).not.toThrow();
    expect(() => loadWorkerConfig(base)).not.toThrow();
  });
});
