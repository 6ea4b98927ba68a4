import type { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, describe, expect, inject, test } from 'vitest';
import { z } from 'zod';
import { createDatabase, type Database } from '../../src/db/prisma-client.js';
import { buildServer, type SlipwayServer } from '../../src/http/build-server.js';
import { composeServices } from '../../src/main/compose-services.js';
import { createRedisConnection } from '../../src/queue/redis-connection.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { sendTokenByDefault, testSecurity } from '../support/test-server.js';
import { expectJson, expectNoLeak, expectProblem, parseBody } from './helpers.js';

/** Nothing listens on port 1, so connections are refused at once. */
const deadPostgres = 'postgresql://postgres@127.0.0.1:1/x';
const deadRedis = 'redis://127.0.0.1:1';

const readinessBody = z
  .object({
    status: z.enum(['ready', 'unavailable']),
    checks: z.record(
      z.string(),
      z.object({ ok: z.boolean(), error: z.string().optional() }).strict(),
    ),
  })
  .strict();

interface Wired {
  server: SlipwayServer;
  close: () => Promise<void>;
}

const cleanups: (() => Promise<void>)[] = [];

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

async function wire(options: {
  postgres: 'dead' | 'alive';
  redis: 'dead' | 'alive';
}): Promise<Wired> {
  let database: TestDatabase | undefined;
  let db: Database;
  if (options.postgres === 'dead') {
    db = createDatabase(deadPostgres);
  } else {
    database = await createTestDatabase();
    db = createDatabase(database.url);
  }
  let redis: Redis;
  if (options.redis === 'dead') {
    redis = createRedisConnection(deadRedis, { lazy: true });
  } else {
    redis = createRedisConnection(inject('redisUrl'));
    // The offline queue is disabled, so a PING before the connection is up fails: wait for it.
    await waitForRedis(redis);
  }
  // Connection errors are expected here; without a listener ioredis reports them as unhandled.
  redis.on('error', () => {});
  const logger = pino({ level: 'silent' });
  const security = testSecurity();
  const services = composeServices(db, redis, { logger, security });
  const server = await buildServer({ logger, ...services });
  await server.ready();
  sendTokenByDefault(server, security.adminToken);
  const close = async () => {
    await server.close();
    await services.close();
    await db.$disconnect();
    redis.disconnect();
    await database?.drop();
  };
  cleanups.push(close);
  return { server, close };
}

describe('GET /readyz', () => {
  test('503 with the postgres check failing when PostgreSQL is unreachable', async () => {
    const { server } = await wire({ postgres: 'dead', redis: 'alive' });
    const res = await server.inject({ method: 'GET', url: '/readyz' });
    expect(res.statusCode).toBe(503);
    const body = parseBody(res, readinessBody);
    expect(body.status).toBe('unavailable');
    expect(body.checks.postgres?.ok).toBe(false);
    expect(body.checks.postgres?.error).toEqual(expect.any(String));
    expect(body.checks.redis).toEqual({ ok: true });
    expect(res.headers['x-request-id']).toEqual(expect.any(String));
  });

  test('503 with the redis check failing when Redis is unreachable', async () => {
    const { server } = await wire({ postgres: 'alive', redis: 'dead' });
    const res = await server.inject({ method: 'GET', url: '/readyz' });
    expect(res.statusCode).toBe(503);
    const body = parseBody(res, readinessBody);
    expect(body.status).toBe('unavailable');
    expect(body.checks.postgres).toEqual({ ok: true });
    expect(body.checks.redis?.ok).toBe(false);
    expect(body.checks.redis?.error).toEqual(expect.any(String));
  });

  test('503 with both checks failing when both are unreachable; /healthz still answers 200', async () => {
    const { server } = await wire({ postgres: 'dead', redis: 'dead' });
    const res = await server.inject({ method: 'GET', url: '/readyz' });
    expect(res.statusCode).toBe(503);
    const body = parseBody(res, readinessBody);
    expect(body.checks.postgres?.ok).toBe(false);
    expect(body.checks.redis?.ok).toBe(false);
    expect((await server.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
  });
});

describe('API routes when PostgreSQL is unreachable', () => {
  const requests: [string, 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT', string, object?][] = [
    ['list apps', 'GET', '/v1/apps'],
    ['get app', 'GET', '/v1/apps/some-app'],
    ['create app', 'POST', '/v1/apps', { name: 'some-app' }],
    ['patch app', 'PATCH', '/v1/apps/some-app', { description: 'x' }],
    ['delete app', 'DELETE', '/v1/apps/some-app'],
    ['get settings', 'GET', '/v1/apps/some-app/settings'],
    ['patch probe', 'PATCH', '/v1/apps/some-app/settings/startup-probe', { path: '/x' }],
    ['list commands', 'GET', '/v1/apps/some-app/release-commands'],
    ['append command', 'POST', '/v1/apps/some-app/release-commands', { label: 'a', command: 'b' }],
    ['reorder', 'PUT', '/v1/apps/some-app/release-commands/order', { ids: [] }],
  ];

  test.each(requests)(
    '%s is 503 DEPENDENCY_UNAVAILABLE problem+json, not 500',
    async (_label, method, url, payload) => {
      const { server } = await sharedDeadDatabase();
      const res = await server.inject({
        method,
        url,
        ...(payload === undefined ? {} : { payload }),
      });
      const problem = expectProblem(res, 503, 'DEPENDENCY_UNAVAILABLE');
      expect(problem.title).toBe('Service Unavailable');
      expect(problem.type).toBe('urn:slipway:problem:dependency-unavailable');
      expectNoLeak(res.body);
      expect(res.body).not.toContain('127.0.0.1:1');
    },
  );

  test('validation still runs first: a bad body is 400 even with the database down', async () => {
    const { server } = await sharedDeadDatabase();
    expectProblem(
      await server.inject({ method: 'POST', url: '/v1/apps', payload: { name: 'Bad' } }),
      400,
      'VALIDATION_FAILED',
    );
  });
});

describe('API routes when only Redis is unreachable', () => {
  test('the application API keeps working (it does not need Redis)', async () => {
    const { server } = await wire({ postgres: 'alive', redis: 'dead' });
    expect(
      (await server.inject({ method: 'POST', url: '/v1/apps', payload: { name: 'no-redis' } }))
        .statusCode,
    ).toBe(201);
    const page = expectJson(
      await server.inject({ method: 'GET', url: '/v1/apps' }),
      200,
      z.object({
        items: z.array(z.object({ name: z.string() })),
        nextCursor: z.string().nullable(),
      }),
    );
    expect(page.items.map((app) => app.name)).toEqual(['no-redis']);
  });
});

async function waitForRedis(redis: Redis): Promise<void> {
  if (redis.status === 'ready') return;
  let timer: NodeJS.Timeout | undefined;
  await new Promise<void>((resolve, reject) => {
    timer = setTimeout(() => {
      reject(new Error('the test Redis did not become ready within 10 s'));
    }, 10_000);
    redis.once('ready', () => {
      resolve();
    });
  }).finally(() => {
    clearTimeout(timer);
  });
}

let deadDatabase: Promise<Wired> | undefined;
function sharedDeadDatabase(): Promise<Wired> {
  deadDatabase ??= wire({ postgres: 'dead', redis: 'alive' });
  return deadDatabase;
}
