import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { createApp, expectJson, expectProblem, rawJson } from './helpers.js';
import { z } from 'zod';

let t: TestServer;

beforeAll(async () => {
  t = await startTestServer();
  await createApp(t.server, 'known');
});

afterAll(async () => {
  await t.close();
});

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('x-request-id', () => {
  const requests: [string, 'GET' | 'POST' | 'DELETE', string, object?][] = [
    ['a 200', 'GET', '/healthz'],
    ['a 201', 'POST', '/v1/apps', { name: 'rid-app' }],
    ['a 400', 'POST', '/v1/apps', { name: 'Bad Name' }],
    ['a 404 app', 'GET', '/v1/apps/missing'],
    ['a 404 route', 'GET', '/nope'],
    ['a 204', 'DELETE', '/v1/apps/rid-app'],
  ];

  test.each(requests)('is generated on %s', async (_label, method, url, payload) => {
    const res = await t.server.inject({
      method,
      url,
      ...(payload === undefined ? {} : { payload }),
    });
    expect(res.headers['x-request-id']).toMatch(uuidPattern);
  });

  test('each request gets its own id', async () => {
    const ids = new Set<unknown>();
    for (let i = 0; i < 5; i++) {
      ids.add((await t.server.inject({ method: 'GET', url: '/healthz' })).headers['x-request-id']);
    }
    expect(ids.size).toBe(5);
  });

  test.each(['abc-123', 'trace.1:2_3', 'A'.repeat(128), '0af7651916cd43dd8448eb211c80319c'])(
    'an incoming X-Request-Id %j is never the request id (issue 11, item 14)',
    async (id) => {
      const ok = await t.server.inject({
        method: 'GET',
        url: '/healthz',
        headers: { 'X-Request-Id': id },
      });
      expect(ok.headers['x-request-id']).toMatch(uuidPattern);
      const res = await t.server.inject({
        method: 'GET',
        url: '/v1/apps/missing',
        headers: { 'x-request-id': id },
      });
      const problem = expectProblem(res, 404, 'APP_NOT_FOUND');
      expect(problem.requestId).toMatch(uuidPattern);
      expect(problem.requestId).not.toBe(id);
    },
  );

  test("the audit entry keeps the caller's id apart, as clientRequestId", async () => {
    const res = await t.server.inject({
      method: 'POST',
      url: '/v1/apps',
      headers: { 'x-request-id': 'my-trace-1' },
      payload: { name: 'rid-audited' },
    });
    expect(res.statusCode).toBe(201);
    const entry = await t.db.auditEvent.findFirstOrThrow({ where: { appName: 'rid-audited' } });
    expect(entry.requestId).toBe(res.headers['x-request-id']);
    expect(entry.requestId).toMatch(uuidPattern);
    expect(entry.clientRequestId).toBe('my-trace-1');
    // Control: without the header there is no client id.
    await t.server.inject({ method: 'DELETE', url: '/v1/apps/rid-audited' });
    const deleted = await t.db.auditEvent.findFirstOrThrow({
      where: { appName: 'rid-audited', action: 'app.delete' },
    });
    expect(deleted.clientRequestId).toBeNull();
  });

  test.each([
    ['too long', 'A'.repeat(129)],
    ['a space', 'a b'],
    ['markup', '<script>alert(1)</script>'],
    ['a quote', 'a"b'],
    ['non-ASCII', 'réq'],
    ['empty', ''],
  ])('an insane incoming X-Request-Id (%s) is replaced by a fresh id', async (_label, id) => {
    const res = await t.server.inject({
      method: 'GET',
      url: '/healthz',
      headers: { 'x-request-id': id },
    });
    expect(res.headers['x-request-id']).toMatch(uuidPattern);
  });

  test('a repeated X-Request-Id header is replaced by a fresh id', async () => {
    const res = await t.server.inject({
      method: 'GET',
      url: '/healthz',
      headers: { 'x-request-id': ['one', 'two'] },
    });
    expect(res.headers['x-request-id']).toMatch(uuidPattern);
  });
});

describe('problem+json', () => {
  test('has the RFC 9457 members plus code, instance and requestId', async () => {
    const res = await t.server.inject({ method: 'GET', url: '/v1/apps/missing?x=1' });
    const problem = expectProblem(res, 404, 'APP_NOT_FOUND');
    expect(problem).toEqual({
      type: expect.stringMatching(/^urn:slipway:problem:app-not-found$/) as string,
      title: 'Not Found',
      status: 404,
      detail: expect.stringContaining('missing') as string,
      code: 'APP_NOT_FOUND',
      instance: '/v1/apps/missing?x=1',
      requestId: res.headers['x-request-id'],
    });
    expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8');
  });

  test('validation problems list every failing field with its location', async () => {
    const res = await t.server.inject({
      method: 'POST',
      url: '/v1/apps',
      payload: { name: 'Bad', description: 5, extra: true },
    });
    const problem = expectProblem(res, 400, 'VALIDATION_FAILED');
    expect(problem.type).toBe('urn:slipway:problem:validation-failed');
    expect(problem.title).toBe('Bad Request');
    const paths = problem.errors?.map((issue) => issue.path) ?? [];
    expect(paths).toEqual(expect.arrayContaining(['/name', '/description']));
    expect(problem.errors?.every((issue) => issue.location === 'body')).toBe(true);
    expect(problem.errors?.every((issue) => issue.message.length > 0)).toBe(true);
    expect(problem.detail).toContain('/name');
  });

  test('many issues are summarised in the detail, all listed in errors', async () => {
    const res = await t.server.inject({
      method: 'PATCH',
      url: '/v1/apps/known/settings/startup-probe',
      payload: {
        startupTimeoutSeconds: 0,
        probeTimeoutSeconds: 0,
        maxRetries: 0,
        intervalMs: 0,
        path: 'x',
        a: 1,
        b: 2,
      },
    });
    const problem = expectProblem(res, 400, 'VALIDATION_FAILED');
    expect(problem.errors?.length).toBeGreaterThanOrEqual(6);
    expect(problem.detail).toMatch(/and \d+ more/);
  });

  test('querystring and params issues carry their location', async () => {
    const query = expectProblem(
      await t.server.inject({ method: 'GET', url: '/v1/apps?limit=0' }),
      400,
      'VALIDATION_FAILED',
    );
    expect(query.errors).toEqual([
      expect.objectContaining({ path: '/limit', location: 'querystring' }),
    ]);
    const params = expectProblem(
      await t.server.inject({ method: 'GET', url: '/v1/apps/known/release-commands/nope' }),
      400,
      'VALIDATION_FAILED',
    );
    expect(params.errors).toEqual([expect.objectContaining({ path: '/id', location: 'params' })]);
  });

  test('malformed JSON is 400 MALFORMED_JSON', async () => {
    const problem = expectProblem(
      await rawJson(t.server, 'POST', '/v1/apps', '{"name": "x",'),
      400,
      'MALFORMED_JSON',
    );
    expect(problem.type).toBe('urn:slipway:problem:malformed-json');
  });

  test('an empty body with a JSON content type is 400 MALFORMED_JSON', async () => {
    expectProblem(await rawJson(t.server, 'POST', '/v1/apps', ''), 400, 'MALFORMED_JSON');
    expectProblem(await rawJson(t.server, 'PATCH', '/v1/apps/known', ''), 400, 'MALFORMED_JSON');
  });

  test('a POST without any body is 400 VALIDATION_FAILED (not a crash)', async () => {
    expectProblem(
      await t.server.inject({ method: 'POST', url: '/v1/apps' }),
      400,
      'VALIDATION_FAILED',
    );
  });

  test('JSON with a charset parameter is accepted', async () => {
    const res = await rawJson(
      t.server,
      'POST',
      '/v1/apps',
      JSON.stringify({ name: 'charset-app' }),
      'application/json; charset=utf-8',
    );
    expect(res.statusCode).toBe(201);
  });

  test('415 UNSUPPORTED_MEDIA_TYPE for text/plain and application/xml', async () => {
    for (const contentType of ['text/plain', 'application/xml']) {
      const problem = expectProblem(
        await rawJson(t.server, 'POST', '/v1/apps', '{"name":"ct-app"}', contentType),
        415,
        'UNSUPPORTED_MEDIA_TYPE',
      );
      expect(problem.title).toBe('Unsupported Media Type');
    }
    expectProblem(
      await t.server.inject({ method: 'GET', url: '/v1/apps/ct-app' }),
      404,
      'APP_NOT_FOUND',
    );
  });

  test('413 PAYLOAD_TOO_LARGE above 256 KiB', async () => {
    const problem = expectProblem(
      await rawJson(
        t.server,
        'POST',
        '/v1/apps',
        JSON.stringify({ name: 'big-app', description: 'x'.repeat(256 * 1024) }),
      ),
      413,
      'PAYLOAD_TOO_LARGE',
    );
    expect(problem.title).toBe('Content Too Large');
    expectProblem(
      await t.server.inject({ method: 'GET', url: '/v1/apps/big-app' }),
      404,
      'APP_NOT_FOUND',
    );
  });
});

describe('unknown routes', () => {
  test.each([
    ['GET', '/'],
    ['GET', '/v1'],
    ['GET', '/v2/apps'],
    ['GET', '/v1/applications'],
    ['PUT', '/v1/apps'],
    ['DELETE', '/v1/apps'],
    ['POST', '/v1/apps/known'],
    ['PUT', '/v1/apps/known/settings'],
    ['GET', '/v1/apps/known/settings/unknown'],
    ['GET', '/v1/apps/known/release-commands/a/b'],
  ] as const)('%s %s is 404 ROUTE_NOT_FOUND problem+json', async (method, url) => {
    const problem = expectProblem(await t.server.inject({ method, url }), 404, 'ROUTE_NOT_FOUND');
    expect(problem.detail).toContain(method);
    expect(problem.type).toBe('urn:slipway:problem:route-not-found');
  });

  test('the 404 detail does not echo the query string', async () => {
    const problem = expectProblem(
      await t.server.inject({ method: 'GET', url: '/nowhere?secret=token' }),
      404,
      'ROUTE_NOT_FOUND',
    );
    expect(problem.detail).not.toContain('secret');
  });
});

describe('health', () => {
  test('GET /healthz is 200 {status: ok}', async () => {
    const body = expectJson(
      await t.server.inject({ method: 'GET', url: '/healthz' }),
      200,
      z.object({ status: z.literal('ok') }).strict(),
    );
    expect(body.status).toBe('ok');
  });

  test('GET /readyz is 200 ready with both checks ok', async () => {
    const body = expectJson(
      await t.server.inject({ method: 'GET', url: '/readyz' }),
      200,
      z.object({ status: z.string(), checks: z.record(z.string(), z.object({ ok: z.boolean() })) }),
    );
    expect(body).toEqual({
      status: 'ready',
      checks: { postgres: { ok: true }, redis: { ok: true } },
    });
  });
});
