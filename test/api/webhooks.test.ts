/**
 * Webhook management through the API: admin only, the secret shown once and sealed at rest,
 * targets on loopback/link-local/private addresses refused (SLIPWAY_WEBHOOK_ALLOW_PRIVATE off),
 * filters validated, every change audited.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { z } from 'zod';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { expectProblem, parseBody } from './helpers.js';

let t: TestServer;

beforeAll(async () => {
  t = await startTestServer();
  for (const name of ['shop', 'blog']) {
    expect(
      (await t.server.inject({ method: 'POST', url: '/v1/apps', payload: { name } })).statusCode,
    ).toBe(201);
  }
});

afterAll(async () => {
  await t.close();
});

const isoDate = z.iso.datetime();
const webhookBody = z
  .object({
    id: z.uuid(),
    url: z.string(),
    description: z.string().nullable(),
    apps: z.array(z.string()),
    events: z.array(z.string()),
    enabled: z.boolean(),
    createdAt: isoDate,
    updatedAt: isoDate,
  })
  .strict();
const createdBody = webhookBody.extend({ secret: z.string() }).strict();

/** A public address that needs no DNS: creating a webhook does not contact it. */
const publicUrl = 'http://93.184.215.14/hooks';

function create(payload: Record<string, unknown>) {
  return t.server.inject({ method: 'POST', url: '/v1/webhooks', payload });
}

describe('CRUD', () => {
  test('create shows the secret once; it is stored sealed; list and get never show it', async () => {
    const res = await create({ url: publicUrl, apps: ['shop'], events: ['deployment.failed'] });
    expect(res.statusCode).toBe(201);
    const created = parseBody(res, createdBody);
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(created).toMatchObject({ apps: ['shop'], events: ['deployment.failed'], enabled: true });
    const row = await t.db.webhook.findUniqueOrThrow({ where: { id: created.id } });
    expect(row.secretSealed).toMatch(/^v1\./);
    expect(JSON.stringify(row)).not.toContain(created.secret.slice(6));
    const got = await t.server.inject({ method: 'GET', url: `/v1/webhooks/${created.id}` });
    expect(parseBody(got, webhookBody).id).toBe(created.id);
    const list = await t.server.inject({ method: 'GET', url: '/v1/webhooks' });
    expect(list.body).not.toContain(created.secret);
    expect(
      parseBody(list, z.object({ items: z.array(webhookBody) }).strict()).items.map((w) => w.id),
    ).toContain(created.id);
  });

  test('patch changes filters, url and enabled; apps follow a rename; delete is 204 then 404', async () => {
    const { id } = parseBody(await create({ url: publicUrl }), createdBody);
    const patched = await t.server.inject({
      method: 'PATCH',
      url: `/v1/webhooks/${id}`,
      payload: {
        apps: ['blog'],
        events: ['deployment.succeeded'],
        enabled: false,
        description: 'ops',
      },
    });
    expect(parseBody(patched, webhookBody)).toMatchObject({
      apps: ['blog'],
      enabled: false,
      description: 'ops',
    });
    await t.server.inject({ method: 'PATCH', url: '/v1/apps/blog', payload: { name: 'journal' } });
    const renamed = await t.server.inject({ method: 'GET', url: `/v1/webhooks/${id}` });
    expect(parseBody(renamed, webhookBody).apps).toEqual(['journal']);
    expect(
      (await t.server.inject({ method: 'DELETE', url: `/v1/webhooks/${id}` })).statusCode,
    ).toBe(204);
    expectProblem(
      await t.server.inject({ method: 'GET', url: `/v1/webhooks/${id}` }),
      404,
      'WEBHOOK_NOT_FOUND',
    );
    expectProblem(
      await t.server.inject({ method: 'DELETE', url: `/v1/webhooks/${id}` }),
      404,
      'WEBHOOK_NOT_FOUND',
    );
  });

  test('bad input is a 400 or 404 that names the problem, and stores nothing', async () => {
    const before = await t.db.webhook.count();
    expectProblem(await create({ url: 'ftp://example.org/x' }), 400, 'VALIDATION_FAILED');
    expectProblem(
      await create({ url: publicUrl, events: ['deployment.exploded'] }),
      400,
      'VALIDATION_FAILED',
    );
    expectProblem(await create({ url: publicUrl, extra: 1 }), 400, 'VALIDATION_FAILED');
    expectProblem(await create({ url: publicUrl, apps: ['ghost'] }), 404, 'APP_NOT_FOUND');
    expectProblem(
      await t.server.inject({ method: 'GET', url: '/v1/webhooks/not-a-uuid' }),
      400,
      'VALIDATION_FAILED',
    );
    expect(await t.db.webhook.count()).toBe(before);
  });
});

describe('private targets are refused (SLIPWAY_WEBHOOK_ALLOW_PRIVATE is off)', () => {
  test.each([
    'http://127.0.0.1:8080/hook',
    'http://localhost/hook',
    'http://10.1.2.3/hook',
    'http://172.16.0.9/hook',
    'http://192.168.1.1/hook',
    'http://169.254.169.254/latest/meta-data',
    'http://[::1]/hook',
    'http://[fe80::1]/hook',
    'http://[::ffff:127.0.0.1]/hook',
    'http://0.0.0.0/hook',
  ])('%s', async (url) => {
    const res = await create({ url });
    expectProblem(res, 422, 'WEBHOOK_TARGET_REFUSED');
    expect(res.body).toContain('SLIPWAY_WEBHOOK_ALLOW_PRIVATE');
  });

  test('also when changing the url of an existing webhook', async () => {
    const { id } = parseBody(await create({ url: publicUrl }), createdBody);
    const res = await t.server.inject({
      method: 'PATCH',
      url: `/v1/webhooks/${id}`,
      payload: { url: 'http://127.0.0.1/x' },
    });
    expectProblem(res, 422, 'WEBHOOK_TARGET_REFUSED');
    const kept = await t.server.inject({ method: 'GET', url: `/v1/webhooks/${id}` });
    expect(parseBody(kept, webhookBody).url).toBe(publicUrl);
  });

  test('a name that does not resolve is refused too', async () => {
    expectProblem(
      await create({ url: 'http://no-such-host.invalid/hook' }),
      422,
      'WEBHOOK_TARGET_REFUSED',
    );
  });
});

test('a deploy token never sees webhooks (403), and changes are audited', async () => {
  const token = await t.server.inject({
    method: 'POST',
    url: '/v1/tokens',
    payload: { name: 'ci', scope: 'deploy', apps: ['shop'] },
  });
  const { token: deployToken } = parseBody(token, z.object({ token: z.string() }).loose());
  const { id } = parseBody(await create({ url: publicUrl }), createdBody);
  for (const [method, url] of [
    ['GET', '/v1/webhooks'],
    ['GET', `/v1/webhooks/${id}`],
    ['GET', `/v1/webhooks/${id}/deliveries`],
    ['DELETE', `/v1/webhooks/${id}`],
  ] as const) {
    expectProblem(await t.request(deployToken, { method, url }), 403, 'FORBIDDEN');
  }
  const audit = await t.server.inject({ method: 'GET', url: '/v1/audit?limit=100' });
  const actions = parseBody(
    audit,
    z.object({ items: z.array(z.object({ action: z.string() }).loose()) }).loose(),
  ).items.map((e) => e.action);
  expect(actions).toContain('webhook.create');
  expect(actions).toContain('webhook.update');
  expect(actions).toContain('webhook.delete');
  expect(audit.body).not.toContain('whsec_');
});
