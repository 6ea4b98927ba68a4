import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { z } from 'zod';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { createApp, expectJson, expectProblem, parseBody } from './helpers.js';

/**
 * Inputs found to give a 500 or to be accepted against the contract (issue 11, items 4, 5, 7,
 * 9, 15). Each case has a neighbouring valid request as its control, so a route that merely
 * fails for everything cannot pass.
 */

let t: TestServer;
let deployToken = '';
const app = 'shop';

beforeAll(async () => {
  t = await startTestServer();
  await createApp(t.server, app);
  const res = await t.server.inject({
    method: 'POST',
    url: '/v1/tokens',
    payload: { name: 'ci', scope: 'deploy', apps: [app] },
  });
  deployToken = expectJson(res, 201, z.object({ token: z.string() }).loose()).token;
});

afterAll(async () => {
  await t.close();
});

describe('item 4: NUL in {app}', () => {
  test('a deploy token on /v1/apps/a%00b/env is a 400, its own app a 200', async () => {
    expectProblem(
      await t.request(deployToken, { method: 'GET', url: '/v1/apps/a%00b/deployments' }),
      400,
      'VALIDATION_FAILED',
    );
    expectProblem(
      await t.request(deployToken, { method: 'GET', url: '/v1/apps/a%00b/env' }),
      400,
      'VALIDATION_FAILED',
    );
    const own = await t.request(deployToken, { method: 'GET', url: `/v1/apps/${app}/deployments` });
    expect(own.statusCode).toBe(200);
  });

  test('an admin DELETE /v1/apps/a%00b/env/X is a 400; a plain unknown app a 404', async () => {
    expectProblem(
      await t.server.inject({ method: 'DELETE', url: '/v1/apps/a%00b/env/X' }),
      400,
      'VALIDATION_FAILED',
    );
    expectProblem(
      await t.server.inject({ method: 'DELETE', url: '/v1/apps/ghost/env/X' }),
      404,
      'APP_NOT_FOUND',
    );
  });
});

describe("item 5: NUL in a token's apps", () => {
  test('is a 400 and creates no token; an unknown app stays a 404', async () => {
    const before = await t.db.apiToken.count();
    expectProblem(
      await t.server.inject({
        method: 'POST',
        url: '/v1/tokens',
        payload: { name: 'n', scope: 'deploy', apps: ['a\u0000b'] },
      }),
      400,
      'VALIDATION_FAILED',
    );
    expectProblem(
      await t.server.inject({
        method: 'POST',
        url: '/v1/tokens',
        payload: { name: 'n', scope: 'deploy', apps: ['ghost'] },
      }),
      404,
      'APP_NOT_FOUND',
    );
    expect(await t.db.apiToken.count()).toBe(before);
  });
});

describe('item 7: path traversal under /docs', () => {
  test.each([
    '/docs/static/../../../../etc/passwd',
    '/docs/static/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
    '/docs/static/..%2f..%2f..%2fetc%2fpasswd',
  ])('%s is a 404 problem, unauthenticated', async (url) => {
    const res = await t.request(null, { method: 'GET', url });
    expectProblem(res, 404);
    expect(res.body).not.toContain('root:');
  });

  test('control: a real Swagger UI asset is served', async () => {
    const res = await t.request(null, { method: 'GET', url: '/docs/static/swagger-ui.css' });
    expect(res.statusCode).toBe(200);
  });
});

describe('item 9: Last-Event-ID above 2^63-1', () => {
  test('is a 400 at once; the largest bigint is accepted as an id', async () => {
    const id = randomUUID();
    const headers = { accept: 'text/event-stream' };
    expectProblem(
      await t.server.inject({
        method: 'GET',
        url: `/v1/deployments/${id}/log`,
        headers: { ...headers, 'last-event-id': '9999999999999999999' },
      }),
      400,
      'VALIDATION_FAILED',
    );
    expectProblem(
      await t.server.inject({
        method: 'GET',
        url: `/v1/deployments/${id}/log`,
        headers: { ...headers, 'last-event-id': '9223372036854775807' },
      }),
      404,
      'DEPLOYMENT_NOT_FOUND',
    );
  });

  test.each([
    ['deployments', `/v1/apps/${app}/deployments`, JSON.stringify({ k: '9999999999999999999' })],
    ['audit', '/v1/audit', JSON.stringify({ k: '9999999999999999999' })],
  ])('a forged %s cursor above 2^63-1 is a 400', async (_name, url, raw) => {
    const cursor = Buffer.from(raw, 'utf8').toString('base64url');
    expectProblem(
      await t.server.inject({ method: 'GET', url: `${url}?cursor=${cursor}` }),
      400,
      'VALIDATION_FAILED',
    );
  });
});

describe('item 15: loose validation', () => {
  test.each(['1e2', '0x10', ' 5', '', '5.0', '+5'])('limit=%j is a 400', async (limit) => {
    expectProblem(
      await t.server.inject({ method: 'GET', url: `/v1/apps?limit=${encodeURIComponent(limit)}` }),
      400,
      'VALIDATION_FAILED',
    );
  });

  test('control: limit=1 is honoured', async () => {
    const res = await t.server.inject({ method: 'GET', url: '/v1/apps?limit=1' });
    const page = parseBody(res, z.object({ items: z.array(z.unknown()) }).loose());
    expect(res.statusCode).toBe(200);
    expect(page.items).toHaveLength(1);
  });

  test.each(['utf-16', 'latin1', 'iso-8859-1', 'UTF-16LE'])(
    'charset=%s is a 415',
    async (charset) => {
      expectProblem(
        await t.server.inject({
          method: 'PATCH',
          url: `/v1/apps/${app}`,
          headers: { 'content-type': `application/json; charset=${charset}` },
          payload: JSON.stringify({ description: 'x' }),
        }),
        415,
        'UNSUPPORTED_MEDIA_TYPE',
      );
    },
  );

  test('a BOM-prefixed JSON body is a 400; charset=UTF-8 is accepted', async () => {
    expectProblem(
      await t.server.inject({
        method: 'PATCH',
        url: `/v1/apps/${app}`,
        headers: { 'content-type': 'application/json' },
        payload: `\uFEFF${JSON.stringify({ description: 'bom' })}`,
      }),
      400,
      'MALFORMED_JSON',
    );
    const ok = await t.server.inject({
      method: 'PATCH',
      url: `/v1/apps/${app}`,
      headers: { 'content-type': 'application/json; charset=UTF-8' },
      payload: JSON.stringify({ description: 'utf8' }),
    });
    expect(ok.statusCode, ok.body).toBe(200);
  });

  test.each(['127.0.0.1:0/x:1', '127.0.0.1:99999/x:1', 'registry.example.com:65536/x'])(
    'image %s is a 400',
    async (image) => {
      expectProblem(
        await t.server.inject({
          method: 'POST',
          url: `/v1/apps/${app}/deployments`,
          payload: { image },
        }),
        400,
        'VALIDATION_FAILED',
      );
    },
  );

  test.each([
    '127.0.0.1:5000/../',
    'https://registry.example.com/v2/?x=1',
    'registry.example.com/a#b',
    '127.0.0.1:0',
    '127.0.0.1:70000',
  ])('registry server %s is a 400', async (server) => {
    expectProblem(
      await t.server.inject({
        method: 'PUT',
        url: `/v1/apps/${app}/registry-credentials`,
        payload: { server, username: 'u', password: 'p' },
      }),
      400,
      'VALIDATION_FAILED',
    );
  });

  test.each(['127.0.0.1:5000', 'https://index.docker.io/v1/', 'https://r.example.com/v2/'])(
    'control: registry server %s is accepted',
    async (server) => {
      const res = await t.server.inject({
        method: 'PUT',
        url: `/v1/apps/${app}/registry-credentials`,
        payload: { server, username: 'u', password: 'p' },
      });
      expect(res.statusCode, res.body).toBeLessThan(300);
    },
  );
});
