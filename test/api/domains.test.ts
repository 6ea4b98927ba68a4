import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { z } from 'zod';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { createApp, expectJson, expectProblem } from './helpers.js';

const domainBody = z
  .object({ hostname: z.string(), default: z.boolean(), createdAt: z.iso.datetime().nullable() })
  .strict();
const domainListBody = z.object({ items: z.array(domainBody) }).strict();

let t: TestServer;
let based: TestServer;

beforeAll(async () => {
  [t, based] = await Promise.all([
    startTestServer(),
    startTestServer({ baseDomain: 'apps.example.test' }),
  ]);
});

afterAll(async () => {
  await Promise.all([t.close(), based.close()]);
});

const put = (server: TestServer, app: string, hostname: string) =>
  server.server.inject({ method: 'PUT', url: `/v1/apps/${app}/domains/${hostname}` });
const del = (server: TestServer, app: string, hostname: string) =>
  server.server.inject({ method: 'DELETE', url: `/v1/apps/${app}/domains/${hostname}` });
async function list(server: TestServer, app: string) {
  const res = await server.server.inject({ method: 'GET', url: `/v1/apps/${app}/domains` });
  return expectJson(res, 200, domainListBody).items;
}

describe('domains', () => {
  test('PUT adds a hostname (201), again is 200; GET lists them sorted; DELETE removes (204, then 404)', async () => {
    await createApp(t.server, 'dom-basic');
    const created = expectJson(await put(t, 'dom-basic', 'www.shop.example.com'), 201, domainBody);
    expect(created).toMatchObject({ hostname: 'www.shop.example.com', default: false });
    const again = expectJson(await put(t, 'dom-basic', 'www.shop.example.com'), 200, domainBody);
    expect(again.createdAt).toBe(created.createdAt);
    expectJson(await put(t, 'dom-basic', 'shop.example.com'), 201, domainBody);
    expect((await list(t, 'dom-basic')).map((d) => d.hostname)).toEqual([
      'shop.example.com',
      'www.shop.example.com',
    ]);
    expect((await del(t, 'dom-basic', 'shop.example.com')).statusCode).toBe(204);
    expectProblem(await del(t, 'dom-basic', 'shop.example.com'), 404, 'DOMAIN_NOT_FOUND');
    expect((await list(t, 'dom-basic')).map((d) => d.hostname)).toEqual(['www.shop.example.com']);
  });

  test('hostnames are lower-cased', async () => {
    await createApp(t.server, 'dom-case');
    const res = expectJson(await put(t, 'dom-case', 'Shop.EXAMPLE.org'), 201, domainBody);
    expect(res.hostname).toBe('shop.example.org');
    expectJson(await put(t, 'dom-case', 'shop.example.org'), 200, domainBody);
    expect((await del(t, 'dom-case', 'SHOP.example.ORG')).statusCode).toBe(204);
  });

  test('a hostname belongs to one app: 409 DOMAIN_TAKEN, and nothing changes', async () => {
    await createApp(t.server, 'dom-owner');
    await createApp(t.server, 'dom-thief');
    expectJson(await put(t, 'dom-owner', 'taken.example.com'), 201, domainBody);
    expectProblem(await put(t, 'dom-thief', 'TAKEN.example.com'), 409, 'DOMAIN_TAKEN');
    expectProblem(await del(t, 'dom-thief', 'taken.example.com'), 404, 'DOMAIN_NOT_FOUND');
    expect(await list(t, 'dom-thief')).toEqual([]);
    expect((await list(t, 'dom-owner')).map((d) => d.hostname)).toEqual(['taken.example.com']);
  });

  test('concurrent claims of one hostname by two apps: one wins, the other gets 409', async () => {
    await createApp(t.server, 'dom-race-a');
    await createApp(t.server, 'dom-race-b');
    const apps = Array.from({ length: 6 }, (_, i) => (i % 2 === 0 ? 'dom-race-a' : 'dom-race-b'));
    const results = await Promise.all(apps.map((app) => put(t, app, 'race.example.com')));
    const statuses = results.map((r) => r.statusCode);
    expect(statuses.filter((s) => s >= 500)).toEqual([]);
    const winners = new Set(apps.filter((_, i) => (statuses[i] ?? 0) < 300));
    expect(winners.size).toBe(1);
    expect(statuses.filter((s) => s === 409).length).toBeGreaterThan(0);
    expect(await t.db.domain.count({ where: { hostname: 'race.example.com' } })).toBe(1);
  });

  test('hostile and invalid hostnames are 400 VALIDATION_FAILED and store nothing', async () => {
    await createApp(t.server, 'dom-hostile');
    const bad = [
      '-lead.example.com',
      'trail-.example.com',
      'a..example.com',
      'under_score.example.com',
      '*.example.com',
      'example.com.',
      '127.0.0.1',
      'shop.example.com:8080',
      `${'a'.repeat(64)}.example.com`,
      Array.from({ length: 64 }, () => 'abc').join('.'),
      'café.example.com',
      'caf%C3%A9.example.com',
      'nul%00.example.com',
      'new%0Aline.example.com',
      'space%20d.example.com',
      'a%2Fb.example.com',
    ];
    for (const hostname of bad) {
      expectProblem(await put(t, 'dom-hostile', hostname), 400, 'VALIDATION_FAILED');
    }
    expect(await list(t, 'dom-hostile')).toEqual([]);
    // The longest legal hostname is accepted (253 characters).
    const longest = `${['a'.repeat(63), 'b'.repeat(63), 'c'.repeat(63)].join('.')}.${'d'.repeat(61)}`;
    expect(longest).toHaveLength(253);
    expectJson(await put(t, 'dom-hostile', longest), 201, domainBody);
    expectJson(await put(t, 'dom-hostile', 'xn--caf-dma.example.com'), 201, domainBody);
    expectJson(await put(t, 'dom-hostile', 'localhost'), 201, domainBody);
  });

  test('a body is refused (415), an unknown app is 404', async () => {
    await createApp(t.server, 'dom-body');
    const withBody = await t.server.inject({
      method: 'PUT',
      url: '/v1/apps/dom-body/domains/x.example.com',
      payload: { hostname: 'y.example.com' },
    });
    expectProblem(withBody, 415, 'UNSUPPORTED_MEDIA_TYPE');
    expectProblem(await put(t, 'no-such-app', 'x.example.com'), 404, 'APP_NOT_FOUND');
    expectProblem(
      await t.server.inject({ method: 'GET', url: '/v1/apps/no-such-app/domains' }),
      404,
      'APP_NOT_FOUND',
    );
  });

  test('changes are audited in the same transaction; no-ops are not', async () => {
    await createApp(t.server, 'dom-audit');
    await put(t, 'dom-audit', 'audit.example.com');
    await put(t, 'dom-audit', 'audit.example.com');
    await del(t, 'dom-audit', 'audit.example.com');
    await del(t, 'dom-audit', 'audit.example.com');
    const events = await t.db.auditEvent.findMany({
      where: { appName: 'dom-audit', action: { startsWith: 'domain.' } },
      orderBy: { id: 'asc' },
    });
    expect(events.map((e) => [e.action, e.target])).toEqual([
      ['domain.set', { app: 'dom-audit', hostname: 'audit.example.com' }],
      ['domain.delete', { app: 'dom-audit', hostname: 'audit.example.com' }],
    ]);
  });

  test('deleting the app deletes its hostnames, which are free again', async () => {
    await createApp(t.server, 'dom-gone');
    await put(t, 'dom-gone', 'free-again.example.com');
    expect((await t.server.inject({ method: 'DELETE', url: '/v1/apps/dom-gone' })).statusCode).toBe(
      204,
    );
    await createApp(t.server, 'dom-heir');
    expectJson(await put(t, 'dom-heir', 'free-again.example.com'), 201, domainBody);
  });
});

describe('default hostname from SLIPWAY_BASE_DOMAIN', () => {
  test('every app lists <app>.<base> first; it follows a rename and cannot be deleted', async () => {
    await createApp(based.server, 'shop');
    expectJson(await put(based, 'shop', 'shop.example.com'), 201, domainBody);
    expect(await list(based, 'shop')).toEqual([
      { hostname: 'shop.apps.example.test', default: true, createdAt: null },
      expect.objectContaining({ hostname: 'shop.example.com', default: false }),
    ]);
    expectJson(await put(based, 'shop', 'SHOP.apps.example.test'), 200, domainBody);
    expectProblem(await del(based, 'shop', 'shop.apps.example.test'), 422, 'SETTINGS_CONFLICT');
    const renamed = await based.server.inject({
      method: 'PATCH',
      url: '/v1/apps/shop',
      payload: { name: 'store' },
    });
    expect(renamed.statusCode).toBe(200);
    expect((await list(based, 'store'))[0]?.hostname).toBe('store.apps.example.test');
  });

  test("another app's default hostname is taken (409)", async () => {
    await createApp(based.server, 'blog');
    await createApp(based.server, 'wiki');
    expectProblem(await put(based, 'wiki', 'blog.apps.example.test'), 409, 'DOMAIN_TAKEN');
    // A name under the base with no app behind it can be given to an app.
    expectJson(await put(based, 'wiki', 'docs.apps.example.test'), 201, domainBody);
  });

  test('without the setting there is no default hostname', async () => {
    await createApp(t.server, 'dom-nodefault');
    expect(await list(t, 'dom-nodefault')).toEqual([]);
  });
});
