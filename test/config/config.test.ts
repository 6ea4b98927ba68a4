import { describe, expect, test } from 'vitest';
import { loadApiConfig } from '../../src/config/api-config.js';
import { ConfigError } from '../../src/config/config.js';
import { loadWorkerConfig } from '../../src/config/worker-config.js';

const secretKeyHex = '0123456789abcdef'.repeat(4);

const base = {
  DATABASE_URL: 'postgresql://slipway:secret@db.internal:5432/slipway',
  REDIS_URL: 'redis://redis.internal:6379',
  SLIPWAY_SECRET_KEY: secretKeyHex,
};

const adminToken = 'a'.repeat(32);

/** The API's configuration: the shared settings, HOST and PORT, and the admin token. */
const loadConfig = (env: NodeJS.ProcessEnv) =>
  loadApiConfig({ SLIPWAY_ADMIN_TOKEN: adminToken, ...env });

function configError(env: NodeJS.ProcessEnv): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(env)} to be rejected`);
}

describe('loadConfig', () => {
  test('defaults: PORT 3000, HOST 0.0.0.0, LOG_LEVEL info', () => {
    expect(loadConfig({ ...base })).toEqual({
      ...base,
      SLIPWAY_SECRET_KEY: Buffer.from(secretKeyHex, 'hex'),
      SLIPWAY_ADMIN_TOKEN: adminToken,
      PORT: 3000,
      HOST: '0.0.0.0',
      LOG_LEVEL: 'info',
      SLIPWAY_QUEUE_PREFIX: 'bull',
      SLIPWAY_WEBHOOK_ALLOW_PRIVATE: false,
    });
  });

  test('explicit values are used, PORT as a number', () => {
    const config = loadConfig({ ...base, PORT: '8080', HOST: '127.0.0.1', LOG_LEVEL: 'debug' });
    expect(config).toMatchObject({ PORT: 8080, HOST: '127.0.0.1', LOG_LEVEL: 'debug' });
  });

  test('unrelated variables are ignored and not copied into the config', () => {
    const config = loadConfig({ ...base, HOME: '/root', SECRET_TOKEN: 'x' });
    expect(Object.keys(config).sort()).toEqual([
      'DATABASE_URL',
      'HOST',
      'LOG_LEVEL',
      'PORT',
      'REDIS_URL',
      'SLIPWAY_ADMIN_TOKEN',
      'SLIPWAY_QUEUE_PREFIX',
      'SLIPWAY_SECRET_KEY',
      'SLIPWAY_WEBHOOK_ALLOW_PRIVATE',
    ]);
  });

  test.each([
    ['true', true],
    ['false', false],
  ])('SLIPWAY_WEBHOOK_ALLOW_PRIVATE=%s', (value, expected) => {
    expect(
      loadConfig({ ...base, SLIPWAY_WEBHOOK_ALLOW_PRIVATE: value }).SLIPWAY_WEBHOOK_ALLOW_PRIVATE,
    ).toBe(expected);
  });

  test('SLIPWAY_WEBHOOK_ALLOW_PRIVATE=yes is refused, naming the variable', () => {
    expect(() => loadConfig({ ...base, SLIPWAY_WEBHOOK_ALLOW_PRIVATE: 'yes' })).toThrow(
      /SLIPWAY_WEBHOOK_ALLOW_PRIVATE: must be true or false/,
    );
  });

  test.each(['postgresql://u@h/db', 'postgres://u@h:5433/db?sslmode=require'])(
    'accepts DATABASE_URL %s',
    (url) => {
      expect(loadConfig({ ...base, DATABASE_URL: url }).DATABASE_URL).toBe(url);
    },
  );

  test.each(['redis://h:6379', 'rediss://user:pw@h:6380/2'])('accepts REDIS_URL %s', (url) => {
    expect(loadConfig({ ...base, REDIS_URL: url }).REDIS_URL).toBe(url);
  });

  test('a missing DATABASE_URL is a ConfigError naming the variable and saying "is required"', () => {
    const { DATABASE_URL: _omitted, ...env } = base;
    const error = configError(env);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('ConfigError');
    expect(error.message).toContain('DATABASE_URL');
    expect(error.message).toMatch(/DATABASE_URL: is required/);
    expect(error.message).not.toContain('REDIS_URL');
  });

  test('every problem is reported at once', () => {
    const error = configError({ PORT: 'abc', LOG_LEVEL: 'loud' });
    for (const name of ['DATABASE_URL', 'REDIS_URL', 'PORT', 'LOG_LEVEL']) {
      expect(error.message).toContain(name);
    }
    expect(error.message).toMatch(/DATABASE_URL: is required/);
    expect(error.message).toMatch(/REDIS_URL: is required/);
  });

  test.each([
    ['a MySQL URL', 'mysql://u@h/db'],
    ['an HTTP URL', 'http://h/db'],
    ['not a URL', 'just text'],
    ['empty', ''],
    ['a postgres-looking prefix', 'postgresqlx://u@h/db'],
  ])('rejects DATABASE_URL that is %s, naming the expected scheme', (_label, url) => {
    const error = configError({ ...base, DATABASE_URL: url });
    expect(error.message).toMatch(/DATABASE_URL: .*postgresql:\/\//);
  });

  test.each(['http://h:6379', 'postgresql://h/db', 'h:6379'])('rejects REDIS_URL %s', (url) => {
    expect(configError({ ...base, REDIS_URL: url }).message).toMatch(/REDIS_URL: .*redis:\/\//);
  });

  test.each(['abc', '-1', '65536', '80.5', '3000abc', 'NaN'])('rejects PORT %j', (port) => {
    expect(configError({ ...base, PORT: port }).message).toMatch(/^\s+PORT: /m);
  });

  test.each(['0', '1', '65535'])('accepts PORT %s', (port) => {
    expect(loadConfig({ ...base, PORT: port }).PORT).toBe(Number(port));
  });

  // BUG: PORT="" (as docker-compose / .env files produce for `PORT=`) is coerced by
  // z.coerce.number() to 0, so the API silently listens on a random port. Expected: either the
  // default 3000 or a ConfigError. Fix in src/config/config.ts: preprocess "" (and whitespace) to
  // undefined before coercion, or validate PORT as /^\d+$/ first. Remove `.fails` once fixed.
  test.each(['', ' '])('PORT=%j does not silently become port 0', (port) => {
    let result: number | 'error';
    try {
      result = loadConfig({ ...base, PORT: port }).PORT;
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      result = 'error';
    }
    expect(result).not.toBe(0);
  });

  test.each(['verbose', 'INFO', ''])('rejects LOG_LEVEL %j', (level) => {
    expect(configError({ ...base, LOG_LEVEL: level }).message).toContain('LOG_LEVEL');
  });

  test('rejects an empty HOST', () => {
    expect(configError({ ...base, HOST: '' }).message).toContain('HOST');
  });

  test('the message does not echo secrets from the URLs', () => {
    const error = configError({ ...base, DATABASE_URL: 'mysql://user:hunter2@h/db' });
    expect(error.message).not.toContain('hunter2');
  });
});

describe('loadWorkerConfig', () => {
  test("has no HOST or PORT (those are the API's), and names no instance unless told", () => {
    const config = loadWorkerConfig({ ...base, HOST: '127.0.0.1', PORT: '8080' });
    expect(config).not.toHaveProperty('HOST');
    expect(config).not.toHaveProperty('PORT');
    expect(config.SLIPWAY_INSTANCE).toBeUndefined();
    expect(loadWorkerConfig({ ...base, SLIPWAY_INSTANCE: 'blue' }).SLIPWAY_INSTANCE).toBe('blue');
  });

  test('the queue prefix is shared with the API and validated', () => {
    const env = { ...base, SLIPWAY_QUEUE_PREFIX: 'shop-prod' };
    expect(loadWorkerConfig(env).SLIPWAY_QUEUE_PREFIX).toBe('shop-prod');
    expect(loadConfig(env).SLIPWAY_QUEUE_PREFIX).toBe('shop-prod');
    expect(configError({ ...base, SLIPWAY_QUEUE_PREFIX: 'a b' }).message).toContain(
      'SLIPWAY_QUEUE_PREFIX',
    );
  });

  test('SLIPWAY_BASE_DOMAIN is an optional hostname, lower-cased; empty means unset', () => {
    expect(
      loadConfig({ ...base, SLIPWAY_BASE_DOMAIN: 'Apps.Example.COM' }).SLIPWAY_BASE_DOMAIN,
    ).toBe('apps.example.com');
    expect(
      loadWorkerConfig({ ...base, SLIPWAY_BASE_DOMAIN: '' }).SLIPWAY_BASE_DOMAIN,
    ).toBeUndefined();
    for (const bad of ['*.example.com', 'example.com.', '1.2.3.4', 'a b', `${'a.'.repeat(95)}b`]) {
      expect(configError({ ...base, SLIPWAY_BASE_DOMAIN: bad }).message, bad).toContain(
        'SLIPWAY_BASE_DOMAIN',
      );
    }
  });

  test('reports shared and worker problems at once, in one format', () => {
    let message = '';
    try {
      loadWorkerConfig({
        ...base,
        REDIS_URL: 'http://x',
        WORKER_CONCURRENCY: '0',
        SLIPWAY_INSTANCE: 'UPPER',
      });
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      message = error.message;
    }
    expect(message).toMatch(/^Invalid configuration:$/m);
    expect(message).toMatch(/^ {2}REDIS_URL: /m);
    expect(message).toMatch(/^ {2}WORKER_CONCURRENCY: /m);
    expect(message).toMatch(/^ {2}SLIPWAY_INSTANCE: /m);
    expect(message).toContain('See .env.example');
  });
});
