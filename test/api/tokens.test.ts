import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { z } from 'zod';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { createApp, expectJson, expectProblem } from './helpers.js';

const isoDate = z.iso.datetime();
const tokenBody = z
  .object({
    id: z.uuid(),
    name: z.string(),
    scope: z.enum(['admin', 'deploy']),
    apps: z.array(z.string()),
    prefix: z.string(),
    createdAt: isoDate,
    lastUsedAt: isoDate.nullable(),
  })
  .strict();
const createdTokenBody = tokenBody.extend({ token: z.string() }).strict();
const tokenListBody = z.object({ items: z.array(tokenBody) }).strict();

let t: TestServer;

beforeAll(async () => {
  t = await startTestServer();
  await createApp(t.server, 'shop');
  await createApp(t.server, 'blog');
});

afterAll(async () => {
  await t.close();
});

/** A fresh address per test, so the failed-authentication limit of one test never leaks into another. */
function address(): string {
  const [a = 0, b = 0, c = 0] = randomBytes(3);
  return `172.${16 + (a % 16)}.${b}.${c}`;
}

async function createToken(body: object) {
  const res = await t.server.inject({ method: 'POST', url: '/v1/tokens', payload: body });
  return expectJson(res, 201, createdTokenBody);
}

async function listTokens() {
  return expectJson(await t.server.inject({ method: 'GET', url: '/v1/tokens' }), 200, tokenListBody)
    .items;
}

describe('POST /v1/tokens', () => {
  test('an admin token: slw_ + 43 base64url characters, shown once, listed without the secret', async () => {
    const created = await createToken({ name: 'ops', scope: 'admin' });
    expect(created.token).toMatch(/^slw_[A-Za-z0-9_-]{43}$/);
    expect(created).toMatchObject({ name: 'ops', scope: 'admin', apps: [], lastUsedAt: null });
    expect(created.prefix).toBe(created.token.slice(0, 8));
    const listed = (await listTokens()).find((token) => token.id === created.id);
    expect(listed).toEqual({ ...created, token: undefined, lastUsedAt: null });
    const list = await t.server.inject({ method: 'GET', url: '/v1/tokens' });
    expect(list.body).not.toContain(created.token);
  });

  test('only the SHA-256 of the token is stored, never the token', async () => {
    const created = await createToken({ name: 'hash-check', scope: 'admin' });
    const rows = await t.db.$queryRaw<Record<string, unknown>[]>`
      SELECT * FROM api_tokens WHERE id = ${created.id}::uuid`;
    expect(rows).toHaveLength(1);
    expect(rows[0]?.secret_hash).toBe(createHash('sha256').update(created.token).digest('hex'));
    expect(JSON.stringify(rows)).not.toContain(created.token);
    expect(JSON.stringify(rows)).not.toContain(created.token.slice(8));
  });

  test('a deploy token names its apps; they are listed by name', async () => {
    const created = await createToken({
      name: 'ci',
      scope: 'deploy',
      apps: ['shop', 'blog', 'shop'],
    });
    expect(created.scope).toBe('deploy');
    expect(created.apps).toEqual(['blog', 'shop']);
  });

  test('a deploy token for an unknown app is 404 APP_NOT_FOUND, naming it', async () => {
    const res = await t.server.inject({
      method: 'POST',
      url: '/v1/tokens',
      payload: { name: 'ci', scope: 'deploy', apps: ['shop', 'ghost'] },
    });
    expect(expectProblem(res, 404, 'APP_NOT_FOUND').detail).toContain('"ghost"');
  });

  test.each([
    ['no scope', { name: 'x' }],
    ['an unknown scope', { name: 'x', scope: 'root' }],
    ['a deploy token without apps', { name: 'x', scope: 'deploy' }],
    ['a deploy token with an empty app list', { name: 'x', scope: 'deploy', apps: [] }],
    ['an admin token with apps', { name: 'x', scope: 'admin', apps: ['shop'] }],
    ['an empty name', { name: '', scope: 'admin' }],
    ['a name with control characters', { name: 'a\u0007b', scope: 'admin' }],
    ['a client-chosen secret', { name: 'x', scope: 'admin', token: 'slw_mine' }],
  ])('rejects %s with 400', async (_label, payload) => {
    expectProblem(
      await t.server.inject({ method: 'POST', url: '/v1/tokens', payload }),
      400,
      'VALIDATION_FAILED',
    );
  });
});

describe('using tokens', () => {
  test('a new token works at once and records lastUsedAt', async () => {
    const created = await createToken({ name: 'fresh', scope: 'admin' });
    const res = await t.request(created.token, { method: 'GET', url: '/v1/apps' });
    expect(res.statusCode).toBe(200);
    const listed = (await listTokens()).find((token) => token.id === created.id);
    expect(listed?.lastUsedAt).toEqual(expect.any(String));
  });

  test('DELETE /v1/tokens/{id} revokes at once; a second delete is 404', async () => {
    const created = await createToken({ name: 'short-lived', scope: 'deploy', apps: ['shop'] });
    expect(
      (await t.request(created.token, { method: 'GET', url: '/v1/apps/shop' })).statusCode,
    ).toBe(200);
    const revoke = await t.server.inject({ method: 'DELETE', url: `/v1/tokens/${created.id}` });
    expect(revoke.statusCode).toBe(204);
    expectProblem(
      await t.request(created.token, {
        method: 'GET',
        url: '/v1/apps/shop',
        remoteAddress: address(),
      }),
      401,
      'UNAUTHENTICATED',
    );
    expectProblem(
      await t.server.inject({ method: 'DELETE', url: `/v1/tokens/${created.id}` }),
      404,
      'TOKEN_NOT_FOUND',
    );
    expect((await listTokens()).map((token) => token.id)).not.toContain(created.id);
  });

  test('a deploy token keeps its app across a rename (scopes are by id, not by name)', async () => {
    await createApp(t.server, 'old-name');
    const created = await createToken({ name: 'rename', scope: 'deploy', apps: ['old-name'] });
    const rename = await t.server.inject({
      method: 'PATCH',
      url: '/v1/apps/old-name',
      payload: { name: 'new-name' },
    });
    expect(rename.statusCode).toBe(200);
    expect(
      (await t.request(created.token, { method: 'GET', url: '/v1/apps/new-name' })).statusCode,
    ).toBe(200);
    // A new app under the old name is someone else's.
    await createApp(t.server, 'old-name');
    expectProblem(
      await t.request(created.token, { method: 'GET', url: '/v1/apps/old-name' }),
      403,
      'FORBIDDEN',
    );
  });

  test('a deploy token cannot see whether an app outside its scope exists', async () => {
    const created = await createToken({ name: 'probe', scope: 'deploy', apps: ['shop'] });
    const existing = await t.request(created.token, { method: 'GET', url: '/v1/apps/blog' });
    const missing = await t.request(created.token, { method: 'GET', url: '/v1/apps/no-such-app' });
    expectProblem(existing, 403, 'FORBIDDEN');
    expectProblem(missing, 403, 'FORBIDDEN');
    const unknownDeployment = await t.request(created.token, {
      method: 'GET',
      url: `/v1/deployments/${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}`,
    });
    expectProblem(unknownDeployment, 403, 'FORBIDDEN');
    const malformedDeployment = await t.request(created.token, {
      method: 'GET',
      url: '/v1/deployments/not-a-uuid',
    });
    expectProblem(malformedDeployment, 403, 'FORBIDDEN');
  });

  test('a deploy token may not create apps or tokens, or change env vars', async () => {
    const created = await createToken({ name: 'limited', scope: 'deploy', apps: ['shop'] });
    for (const [method, url, payload] of [
      ['POST', '/v1/apps', { name: 'sneaky' }],
      ['POST', '/v1/tokens', { name: 'escalate', scope: 'admin' }],
      ['PUT', '/v1/apps/shop/env/X', { value: 'y', secret: false }],
      ['PATCH', '/v1/apps/shop/settings/web-container', { port: 1 }],
    ] as const) {
      expectProblem(await t.request(created.token, { method, url, payload }), 403, 'FORBIDDEN');
    }
  });
});

describe('authentication failures', () => {
  test.each([
    ['no Authorization header', null],
    ['a Basic header', 'Basic dXNlcjpwYXNz'],
    ['an empty Bearer', 'Bearer '],
    ['an unknown slw_ token', `Bearer slw_${randomBytes(32).toString('base64url')}`],
    ['garbage', 'Bearer not-a-token'],
  ])('%s: 401 problem+json with WWW-Authenticate', async (_label, header) => {
    const res =
      header === null
        ? await t.request(null, { method: 'GET', url: '/v1/apps', remoteAddress: address() })
        : await t.server.inject({
            method: 'GET',
            url: '/v1/apps',
            remoteAddress: address(),
            headers: { authorization: header },
          });
    const problem = expectProblem(res, 401, 'UNAUTHENTICATED');
    expect(res.headers['www-authenticate']).toBe('Bearer realm="slipway"');
    const presented = header?.slice(7) ?? '';
    if (presented !== '') expect(problem.detail).not.toContain(presented);
  });

  test('the bootstrap admin token with one character changed is unknown', async () => {
    const wrong = `${t.adminToken.slice(0, -1)}${t.adminToken.endsWith('x') ? 'y' : 'x'}`;
    expectProblem(
      await t.request(wrong, { method: 'GET', url: '/v1/apps', remoteAddress: address() }),
      401,
      'UNAUTHENTICATED',
    );
    expectProblem(
      await t.request(`${t.adminToken}x`, {
        method: 'GET',
        url: '/v1/apps',
        remoteAddress: address(),
      }),
      401,
      'UNAUTHENTICATED',
    );
  });

  test('20 failures a minute from one address: then 429 with Retry-After, even for a valid token', async () => {
    const blocked = address();
    for (let i = 0; i < 20; i++) {
      const res = await t.request(`slw_${randomBytes(32).toString('base64url')}`, {
        method: 'GET',
        url: '/v1/apps',
        remoteAddress: blocked,
      });
      expect(res.statusCode).toBe(401);
    }
    const limited = await t.request(t.adminToken, {
      method: 'GET',
      url: '/v1/apps',
      remoteAddress: blocked,
    });
    const problem = expectProblem(limited, 429, 'RATE_LIMITED');
    expect(problem.title).toBe('Too Many Requests');
    const retryAfter = Number(limited.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    // Other addresses, and public endpoints, are unaffected.
    expect(
      (await t.request(t.adminToken, { method: 'GET', url: '/v1/apps', remoteAddress: address() }))
        .statusCode,
    ).toBe(200);
    expect(
      (await t.request(null, { method: 'GET', url: '/healthz', remoteAddress: blocked }))
        .statusCode,
    ).toBe(200);
  });

  test('successes do not reset the count of failures', async () => {
    const shared = address();
    for (let i = 0; i < 20; i++) {
      await t.request(null, { method: 'GET', url: '/v1/apps', remoteAddress: shared });
      await t.request(t.adminToken, { method: 'GET', url: '/v1/apps', remoteAddress: shared });
    }
    expectProblem(
      await t.request(t.adminToken, { method: 'GET', url: '/v1/apps', remoteAddress: shared }),
      429,
      'RATE_LIMITED',
    );
  });
});

describe('public endpoints need no token', () => {
  test.each(['/healthz', '/readyz', '/openapi.json', '/metrics', '/docs'])('%s', async (url) => {
    const res = await t.request(null, { method: 'GET', url, remoteAddress: address() });
    expect(res.statusCode, res.body.slice(0, 300)).toBeLessThan(400);
  });

  test('the OpenAPI document declares the bearer scheme and which operations need it', async () => {
    const doc = z
      .object({
        components: z.object({ securitySchemes: z.record(z.string(), z.unknown()) }).loose(),
        paths: z.record(
          z.string(),
          z.record(z.string(), z.object({ security: z.unknown() }).loose()),
        ),
      })
      .loose()
      .parse(JSON.parse((await t.request(null, { method: 'GET', url: '/openapi.json' })).body));
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({
      type: 'http',
      scheme: 'bearer',
    });
    expect(doc.paths['/healthz']?.get?.security).toEqual([]);
    expect(doc.paths['/v1/apps']?.get?.security).toEqual([{ bearerAuth: [] }]);
  });
});
