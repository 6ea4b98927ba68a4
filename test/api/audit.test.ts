import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { z } from 'zod';
import { FIXTURE_IMAGES } from '../support/docker-fixtures.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { createApp, expectJson, expectProblem } from './helpers.js';

const auditEventBody = z
  .object({
    id: z.string().regex(/^\d+$/),
    occurredAt: z.iso.datetime(),
    actor: z.object({ tokenId: z.uuid().nullable(), name: z.string() }).strict(),
    action: z.string(),
    app: z.string().nullable(),
    target: z.record(z.string(), z.string()),
    details: z.record(z.string(), z.unknown()),
    address: z.string(),
    requestId: z.string(),
    clientRequestId: z.string().nullable(),
  })
  .strict();
type AuditEventBody = z.infer<typeof auditEventBody>;
const auditPageBody = z
  .object({ items: z.array(auditEventBody), nextCursor: z.string().nullable() })
  .strict();

let t: TestServer;

beforeAll(async () => {
  t = await startTestServer();
});

afterAll(async () => {
  await t.close();
});

async function auditOf(url = '/v1/audit?limit=100'): Promise<AuditEventBody[]> {
  return expectJson(await t.server.inject({ method: 'GET', url }), 200, auditPageBody).items;
}

async function issueToken(body: object): Promise<{ id: string; token: string }> {
  const res = await t.server.inject({ method: 'POST', url: '/v1/tokens', payload: body });
  return z
    .object({ id: z.uuid(), token: z.string() })
    .loose()
    .parse(expectJson(res, 201, z.unknown()));
}

describe('the audit log', () => {
  test('records who did what to which app, when and from where, newest first', async () => {
    const before = Date.now();
    const app = await createApp(t.server, 'audited');
    const command = await t.server.inject({
      method: 'POST',
      url: '/v1/apps/audited/release-commands',
      payload: { label: 'migrate', command: 'npm run migrate' },
      remoteAddress: '192.0.2.10',
    });
    expect(command.statusCode).toBe(201);
    const commandId = z.object({ id: z.uuid() }).loose().parse(JSON.parse(command.body)).id;

    const events = await auditOf('/v1/apps/audited/audit');
    expect(events.map((event) => event.action)).toEqual(['release-command.create', 'app.create']);
    const [created, appCreated] = events;
    expect(created).toMatchObject({
      actor: { tokenId: null, name: 'bootstrap admin' },
      app: 'audited',
      target: { app: 'audited', createdId: commandId },
      details: { label: 'migrate', command: 'npm run migrate', timeoutSeconds: 1800 },
      address: '192.0.2.10',
      requestId: command.headers['x-request-id'],
    });
    expect(Date.parse(created?.occurredAt ?? '')).toBeGreaterThanOrEqual(before - 1000);
    expect(appCreated).toMatchObject({ app: 'audited', target: { createdId: app.id } });
    expect(Number(created?.id)).toBeGreaterThan(Number(appCreated?.id));
  });

  test('secret values never reach it: env secrets, registry passwords, token secrets', async () => {
    await createApp(t.server, 'audit-secrets');
    await t.server.inject({
      method: 'PUT',
      url: '/v1/apps/audit-secrets/env/API_KEY',
      payload: { value: 'audit-secret-canary', secret: true },
    });
    await t.server.inject({
      method: 'PUT',
      url: '/v1/apps/audit-secrets/env/MODE',
      payload: { value: 'plain-value' },
    });
    await t.server.inject({
      method: 'PUT',
      url: '/v1/apps/audit-secrets/registry-credentials',
      payload: { server: 'r.example.com', username: 'bot', password: 'audit-password-canary' },
    });
    const token = await issueToken({ name: 'audit-token', scope: 'admin' });

    const events = await auditOf();
    const text = JSON.stringify(events);
    for (const secret of ['audit-secret-canary', 'audit-password-canary', token.token]) {
      expect(text).not.toContain(secret);
    }
    const rows = await t.db.$queryRaw<{ row: string }[]>`SELECT a::text AS row FROM audit_events a`;
    for (const secret of ['audit-secret-canary', 'audit-password-canary', token.token]) {
      expect(rows.map((r) => r.row).join('\n')).not.toContain(secret);
    }
    const byAction = (action: string) => events.filter((event) => event.action === action);
    expect(byAction('env.set').map((event) => [event.target.name, event.details])).toEqual([
      ['MODE', { secret: false, value: 'plain-value' }],
      ['API_KEY', { secret: true }],
    ]);
    expect(byAction('registry-credentials.set')[0]?.details).toEqual({
      server: 'r.example.com',
      username: 'bot',
    });
    expect(byAction('token.create')[0]).toMatchObject({
      details: { name: 'audit-token', scope: 'admin' },
      target: { createdId: token.id },
    });
  });

  test('a deploy token is named as the actor of the deployments it triggers and cancels', async () => {
    await createApp(t.server, 'audit-deploy');
    const ci = await issueToken({ name: 'ci pipeline', scope: 'deploy', apps: ['audit-deploy'] });
    const triggered = await t.request(ci.token, {
      method: 'POST',
      url: '/v1/apps/audit-deploy/deployments',
      payload: { image: FIXTURE_IMAGES.webV1 },
      remoteAddress: '198.51.100.7',
    });
    expect(triggered.statusCode, triggered.body).toBe(202);
    const deploymentId = z.object({ id: z.uuid() }).loose().parse(JSON.parse(triggered.body)).id;
    const cancelled = await t.request(ci.token, {
      method: 'POST',
      url: `/v1/deployments/${deploymentId}/cancel`,
      remoteAddress: '198.51.100.7',
    });
    expect(cancelled.statusCode, cancelled.body).toBeLessThan(300);

    const events = await auditOf('/v1/apps/audit-deploy/audit');
    expect(events.map((event) => event.action)).toEqual([
      'deployment.cancel',
      'deployment.trigger',
      'app.create',
    ]);
    for (const event of events.slice(0, 2)) {
      expect(event.actor).toEqual({ tokenId: ci.id, name: 'ci pipeline' });
      expect(event.address).toBe('198.51.100.7');
      expect(event.app).toBe('audit-deploy');
    }
    expect(events[0]?.target).toEqual({ id: deploymentId });
    expect(events[1]).toMatchObject({
      target: { app: 'audit-deploy', createdId: deploymentId },
      details: { image: FIXTURE_IMAGES.webV1 },
    });
  });

  test('an accepted cancel of a running deployment (202) names the deployment once', async () => {
    await createApp(t.server, 'audit-running');
    const triggered = await t.server.inject({
      method: 'POST',
      url: '/v1/apps/audit-running/deployments',
      payload: { image: FIXTURE_IMAGES.webV1 },
    });
    const { id } = z.object({ id: z.uuid() }).loose().parse(JSON.parse(triggered.body));
    await t.db.deployment.update({
      where: { id },
      data: { status: 'running', startedAt: new Date() },
    });
    const cancelled = await t.server.inject({
      method: 'POST',
      url: `/v1/deployments/${id}/cancel`,
    });
    expect(cancelled.statusCode, cancelled.body).toBe(202);
    expect((await auditOf('/v1/apps/audit-running/audit'))[0]).toMatchObject({
      action: 'deployment.cancel',
      app: 'audit-running',
      target: { id },
    });
    const [latest] = await auditOf('/v1/apps/audit-running/audit');
    expect(latest?.target).toEqual({ id });
  });

  test('failed and read-only requests are not recorded', async () => {
    await createApp(t.server, 'audit-quiet');
    const count = async () => (await auditOf('/v1/apps/audit-quiet/audit')).length;
    const initial = await count();
    await t.server.inject({ method: 'GET', url: '/v1/apps/audit-quiet/settings' });
    await t.server.inject({
      method: 'PATCH',
      url: '/v1/apps/audit-quiet/settings/startup-probe',
      payload: { probeTimeoutSeconds: 999 },
    });
    await t.server.inject({ method: 'DELETE', url: '/v1/apps/audit-quiet/env/NOPE' });
    expect(await count()).toBe(initial);
  });

  test('an app keeps its history across a rename, and it outlives the app', async () => {
    await createApp(t.server, 'audit-before');
    await t.server.inject({
      method: 'PATCH',
      url: '/v1/apps/audit-before',
      payload: { name: 'audit-after' },
    });
    await t.server.inject({
      method: 'PATCH',
      url: '/v1/apps/audit-after/settings/web-container',
      payload: { port: 8080 },
    });
    const history = await auditOf('/v1/apps/audit-after/audit');
    expect(history.map((event) => [event.action, event.app])).toEqual([
      ['settings.web-container.update', 'audit-after'],
      ['app.update', 'audit-before'],
      ['app.create', 'audit-before'],
    ]);
    expect(history[1]?.details).toEqual({ name: 'audit-after' });

    expect(
      (await t.server.inject({ method: 'DELETE', url: '/v1/apps/audit-after' })).statusCode,
    ).toBe(204);
    expectProblem(
      await t.server.inject({ method: 'GET', url: '/v1/apps/audit-after/audit' }),
      404,
      'APP_NOT_FOUND',
    );
    const all = await auditOf();
    expect(all[0]).toMatchObject({ action: 'app.delete', app: 'audit-after' });
  });

  test('token revocation is recorded', async () => {
    const token = await issueToken({ name: 'to-revoke', scope: 'admin' });
    await t.server.inject({ method: 'DELETE', url: `/v1/tokens/${token.id}` });
    expect((await auditOf())[0]).toMatchObject({
      action: 'token.revoke',
      app: null,
      target: { id: token.id },
    });
  });

  test('pages: newest first, without gaps or repeats', async () => {
    await createApp(t.server, 'audit-pages');
    for (let i = 0; i < 5; i++) {
      await t.server.inject({
        method: 'PUT',
        url: `/v1/apps/audit-pages/env/V${i}`,
        payload: { value: String(i) },
      });
    }
    const all = await auditOf('/v1/apps/audit-pages/audit?limit=100');
    const seen: AuditEventBody[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 10; page++) {
      const query: string = cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`;
      const body = expectJson(
        await t.server.inject({ method: 'GET', url: `/v1/apps/audit-pages/audit?limit=2${query}` }),
        200,
        auditPageBody,
      );
      seen.push(...body.items);
      cursor = body.nextCursor;
      if (cursor === null) break;
    }
    expect(seen.map((event) => event.id)).toEqual(all.map((event) => event.id));
    expect(all.map((event) => event.target.name)).toEqual([
      'V4',
      'V3',
      'V2',
      'V1',
      'V0',
      undefined,
    ]);
    expectProblem(
      await t.server.inject({ method: 'GET', url: '/v1/audit?cursor=bogus' }),
      400,
      'VALIDATION_FAILED',
    );
  });

  test('the audit log is for admins only', async () => {
    await createApp(t.server, 'audit-scope');
    const ci = await issueToken({ name: 'ci', scope: 'deploy', apps: ['audit-scope'] });
    expectProblem(await t.request(ci.token, { method: 'GET', url: '/v1/audit' }), 403, 'FORBIDDEN');
    expectProblem(
      await t.request(ci.token, { method: 'GET', url: '/v1/apps/audit-scope/audit' }),
      403,
      'FORBIDDEN',
    );
  });
});

describe('a change and its audit entry commit together (issue 11, item 11)', () => {
  let broken: TestServer;
  const refuseAudit = [
    `CREATE FUNCTION refuse_audit() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN RAISE EXCEPTION 'audit write refused by the test'; END $$`,
    `CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_events
       FOR EACH ROW EXECUTE FUNCTION refuse_audit()`,
  ];

  beforeAll(async () => {
    broken = await startTestServer();
    await createApp(broken.server, 'kept');
    await broken.server.inject({
      method: 'PUT',
      url: '/v1/apps/kept/env/OLD',
      payload: { value: 'v' },
    });
    // The test's own database only: every audit insert now fails.
    for (const statement of refuseAudit) await broken.db.$executeRawUnsafe(statement);
  });

  afterAll(async () => {
    await broken.close();
  });

  async function state() {
    return {
      apps: (await broken.db.application.findMany({ orderBy: { name: 'asc' } })).map((a) => ({
        name: a.name,
        port: a.webPort,
        memory: a.resourceMemoryMib,
      })),
      env: (await broken.db.envVar.findMany({ orderBy: { name: 'asc' } })).map((v) => v.name),
      tokens: await broken.db.apiToken.count(),
      deployments: await broken.db.deployment.count(),
      commands: await broken.db.releaseCommand.count(),
      credentials: await broken.db.registryCredential.count(),
    };
  }

  test.each([
    ['POST /v1/apps', 'POST', '/v1/apps', { name: 'unaudited' }],
    ['PATCH /v1/apps/{app}', 'PATCH', '/v1/apps/kept', { name: 'renamed' }],
    ['DELETE /v1/apps/{app}', 'DELETE', '/v1/apps/kept', undefined],
    ['PUT …/env/{name}', 'PUT', '/v1/apps/kept/env/NEW', { value: 'v' }],
    ['DELETE …/env/{name}', 'DELETE', '/v1/apps/kept/env/OLD', undefined],
    [
      'PATCH …/settings/web-container',
      'PATCH',
      '/v1/apps/kept/settings/web-container',
      { port: 81 },
    ],
    [
      'POST …/release-commands',
      'POST',
      '/v1/apps/kept/release-commands',
      { label: 'l', command: 'true' },
    ],
    ['PATCH …/settings/resources', 'PATCH', '/v1/apps/kept/settings/resources', { memoryMiB: 300 }],
    [
      'PUT …/registry-credentials',
      'PUT',
      '/v1/apps/kept/registry-credentials',
      { server: '127.0.0.1:5000', username: 'u', password: 'p' },
    ],
    ['POST /v1/tokens', 'POST', '/v1/tokens', { name: 'n', scope: 'admin' }],
    ['POST …/deployments', 'POST', '/v1/apps/kept/deployments', { image: FIXTURE_IMAGES.webV1 }],
  ] as const)(
    '%s: the audit write fails, so the change is rolled back',
    async (_name, method, url, payload) => {
      const before = await state();
      const res = await broken.server.inject({
        method,
        url,
        ...(payload === undefined ? {} : { payload }),
      });
      expect(res.statusCode, res.body).toBe(500);
      expect(await state()).toEqual(before);
    },
  );

  test('control: without the failing trigger the same delete goes through, with its entry', async () => {
    await broken.db.$executeRawUnsafe('DROP TRIGGER refuse_audit ON audit_events');
    const res = await broken.server.inject({ method: 'DELETE', url: '/v1/apps/kept' });
    expect(res.statusCode, res.body).toBe(204);
    expect((await state()).apps).toEqual([]);
    const entries = await broken.db.auditEvent.findMany({ where: { action: 'app.delete' } });
    expect(entries.map((entry) => [entry.appName, entry.details])).toEqual([['kept', {}]]);
  });
});

describe('bodiless routes take no body (issue 11, item 11)', () => {
  test.each([
    ['a NUL', '{"x":"\\u0000"}'],
    ['a forged actor', '{"actor":"someone else"}'],
    ['deep nesting', `${'['.repeat(3000)}${']'.repeat(3000)}`],
    ['an empty object', '{}'],
  ])(
    'DELETE /v1/apps/{app} with %s in a body is a 415 and deletes nothing',
    async (_name, body) => {
      await createApp(t.server, 'bodied');
      const res = await t.server.inject({
        method: 'DELETE',
        url: '/v1/apps/bodied',
        headers: { 'content-type': 'application/json' },
        payload: body,
      });
      expectProblem(res, 415, 'UNSUPPORTED_MEDIA_TYPE');
      expect((await t.server.inject({ method: 'GET', url: '/v1/apps/bodied' })).statusCode).toBe(
        200,
      );
      const gone = await t.server.inject({ method: 'DELETE', url: '/v1/apps/bodied' });
      expect(gone.statusCode).toBe(204);
      const entry = (await auditOf()).find(
        (event) => event.action === 'app.delete' && event.app === 'bodied',
      );
      expect(entry?.details).toEqual({});
    },
  );

  test('POST …/cancel with a body is a 415 for a deploy token too', async () => {
    await createApp(t.server, 'cancel-body');
    const token = expectJson(
      await t.server.inject({
        method: 'POST',
        url: '/v1/tokens',
        payload: { name: 'ci', scope: 'deploy', apps: ['cancel-body'] },
      }),
      201,
      z.object({ token: z.string() }).loose(),
    ).token;
    const deployment = expectJson(
      await t.request(token, {
        method: 'POST',
        url: '/v1/apps/cancel-body/deployments',
        payload: { image: FIXTURE_IMAGES.webV1 },
      }),
      202,
      z.object({ id: z.uuid() }).loose(),
    );
    const res = await t.request(token, {
      method: 'POST',
      url: `/v1/deployments/${deployment.id}/cancel`,
      headers: { 'content-type': 'application/json' },
      payload: '{"x":"\\u0000"}',
    });
    expectProblem(res, 415, 'UNSUPPORTED_MEDIA_TYPE');
    const row = await t.db.deployment.findUniqueOrThrow({ where: { id: deployment.id } });
    expect(row.status).toBe('queued');
    // Control: without a body the cancel goes through.
    const cancelled = await t.request(token, {
      method: 'POST',
      url: `/v1/deployments/${deployment.id}/cancel`,
    });
    expect(cancelled.statusCode, cancelled.body).toBe(200);
  });
});
