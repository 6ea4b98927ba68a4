import { randomBytes } from 'node:crypto';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { pino, type Logger } from 'pino';
import { inject } from 'vitest';
import { createDatabase, type Database } from '../../src/db/prisma-client.js';
import type { SlipwayServer } from '../../src/http/build-server.js';
import { createApiApp } from '../../src/main/api-app.js';
import { createRedisConnection } from '../../src/queue/redis-connection.js';
import { createTestDatabase, type TestDatabase } from './test-database.js';

export interface TestServer {
  /**
   * The API. Its `inject(options)` sends the bootstrap admin token unless the request sets an
   * Authorization header itself, so tests about something else need not care about access
   * control. Use `request` to call without a token or with another one.
   */
  server: SlipwayServer;
  db: Database;
  database: TestDatabase;
  /** Unique per test file, so files sharing one Redis never see each other's keys. */
  redisPrefix: string;
  /** SLIPWAY_ADMIN_TOKEN of this server. */
  adminToken: string;
  /** SLIPWAY_SECRET_KEY of this server. */
  secretKey: Buffer;
  /** Injects a request with exactly this bearer token (null: no Authorization header at all). */
  request: (token: string | null, options: InjectOptions) => Promise<LightMyRequestResponse>;
  close: () => Promise<void>;
}

export interface TestServerOptions {
  /** Defaults to a silent logger (TEST_LOG_LEVEL overrides the level). */
  logger?: Logger;
  /** Defaults to the shared test Redis; a test that stops Redis passes its own. */
  redisUrl?: string;
  /** SLIPWAY_BASE_DOMAIN for this server. */
  baseDomain?: string;
}

/** The real API wired to a database of its own and the shared test Redis. */
export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const database = await createTestDatabase();
  const db = createDatabase(database.url);
  const redis = createRedisConnection(options.redisUrl ?? inject('redisUrl'));
  const redisPrefix = `slipway-test-${randomBytes(4).toString('hex')}`;
  const logger = options.logger ?? pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const { adminToken, secretKey } = testSecurity();
  // The production wiring and shutdown path: the server closes the queue, database and Redis.
  const server = await createApiApp({
    logger,
    db,
    redis,
    queuePrefix: redisPrefix,
    security: { adminToken, secretKey },
    baseDomain: options.baseDomain ?? null,
  });
  await server.ready();

  const request = sendTokenByDefault(server, adminToken);

  return {
    server,
    db,
    database,
    redisPrefix,
    adminToken,
    secretKey,
    request,
    close: async () => {
      await server.close();
      await database.drop();
    },
  };
}

/** A fresh SLIPWAY_ADMIN_TOKEN and SLIPWAY_SECRET_KEY. */
export function testSecurity(): { adminToken: string; secretKey: Buffer } {
  return {
    adminToken: `test-admin-${randomBytes(24).toString('base64url')}`,
    secretKey: randomBytes(32),
  };
}

/**
 * Makes `server.inject(options)` send `token` unless the request sets an Authorization header
 * itself (only the promise form of inject is supported), and returns a function that injects
 * with exactly the given token, or none.
 */
export function sendTokenByDefault(
  server: SlipwayServer,
  token: string,
): (token: string | null, options: InjectOptions) => Promise<LightMyRequestResponse> {
  const rawInject = server.inject.bind(server);
  const request = (bearer: string | null, injectOptions: InjectOptions) => {
    const headers = { ...withoutAuthorization(injectOptions.headers) };
    if (bearer !== null) headers.authorization = `Bearer ${bearer}`;
    return rawInject({ ...injectOptions, headers });
  };
  const injectWithToken = (injectOptions: InjectOptions | string) => {
    const given = typeof injectOptions === 'string' ? { url: injectOptions } : injectOptions;
    const hasAuthorization = Object.keys(given.headers ?? {}).some(
      (name) => name.toLowerCase() === 'authorization',
    );
    return hasAuthorization ? rawInject(given) : request(token, given);
  };
  Object.defineProperty(server, 'inject', { value: injectWithToken });
  return request;
}

function withoutAuthorization(
  headers: InjectOptions['headers'],
): Record<string, string | string[] | number | undefined> {
  return Object.fromEntries(
    Object.entries(headers ?? {}).filter(([name]) => name.toLowerCase() !== 'authorization'),
  );
}
