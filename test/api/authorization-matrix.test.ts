/**
 * The authorization matrix: every operation of the OpenAPI document, called with each kind of
 * caller, must get what the route-policy table says. The operations come from the document, so a
 * new route is part of the matrix the moment it exists (and a route without a policy stops the
 * server from starting at all, which fails every test).
 */
import { randomBytes } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { z } from 'zod';
import { deployScopeActions } from '../../src/domain/authorization.js';
import { policyFor, routePolicies, type RoutePolicy } from '../../src/http/route-policies.js';
import { renderOpenApiDocument } from '../../src/main/openapi-document.js';
import { FIXTURE_IMAGES } from '../support/docker-fixtures.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { expectProblem } from './helpers.js';

const methods = {
  get: 'GET',
  post: 'POST',
  put: 'PUT',
  patch: 'PATCH',
  delete: 'DELETE',
} as const;

const documentSchema = z.object({
  paths: z.record(
    z.string(),
    z.record(z.string(), z.object({ requestBody: z.unknown().optional() }).loose()),
  ),
});

interface Operation {
  method: (typeof methods)[keyof typeof methods];
  /** As the document writes it: /v1/apps/{app}. */
  path: string;
  /** As Fastify registers it: /v1/apps/:app. */
  route: string;
  key: string;
  hasBody: boolean;
  policy: RoutePolicy;
}

const doc = documentSchema.parse(JSON.parse(await renderOpenApiDocument()));
const operations: Operation[] = Object.entries(doc.paths).flatMap(([path, item]) =>
  Object.entries(methods)
    .filter(([lower]) => item[lower] !== undefined)
    .map(([lower, method]) => {
      const route = path.replace(/\{(\w+)\}/g, ':$1');
      const policy = policyFor(method, route);
      if (policy === undefined) throw new Error(`${method} ${route} has no policy`);
      return {
        method,
        path,
        route,
        key: `${method} ${route}`,
        hasBody: item[lower]?.requestBody !== undefined,
        policy,
      };
    }),
);

const callers = [
  'no token',
  'wrong token',
  'deploy token for another app',
  'deploy token for this app',
  'admin token',
] as const;
type Caller = (typeof callers)[number];

/** What the policy table says a caller gets: 'allowed' means a 2xx here. */
function expected(policy: RoutePolicy, caller: Caller): 'allowed' | 401 | 403 {
  if (policy.access === 'public') return 'allowed';
  if (caller === 'no token' || caller === 'wrong token') return 401;
  if (caller === 'admin token') return 'allowed';
  if (policy.access === 'admin' || !deployScopeActions.has(policy.action)) return 403;
  return caller === 'deploy token for this app' ? 'allowed' : 403;
}

interface Fixture {
  app: string;
  applicationId: string;
  commandId: string;
  deploymentId: string;
  envName: string;
  hostname: string;
  tokenToRevoke: string;
  deployTokenForThisApp: string;
  webhookId: string;
  deliveryId: string;
}

/** A request body that succeeds, per operation that takes one. */
function sampleBody(key: string, fixture: Fixture): object | undefined {
  const bodies: Record<string, object> = {
    'POST /v1/apps': { name: `created-${randomBytes(4).toString('hex')}` },
    'PATCH /v1/apps/:app': { description: 'changed by the matrix' },
    'PATCH /v1/apps/:app/settings/web-container': { port: 8080 },
    'PATCH /v1/apps/:app/settings/startup-probe': { path: '/healthz' },
    'PATCH /v1/apps/:app/settings/resources': { memoryMiB: 256 },
    'POST /v1/apps/:app/release-commands': { label: 'seed', command: 'echo seed' },
    'PUT /v1/apps/:app/release-commands/order': { ids: [fixture.commandId] },
    'PATCH /v1/apps/:app/release-commands/:id': { label: 'renamed' },
    'POST /v1/apps/:app/deployments': { image: FIXTURE_IMAGES.webV1 },
    'POST /v1/apps/:app/rollback': {},
    'PUT /v1/apps/:app/env/:name': { value: 'matrix-value', secret: false },
    'PUT /v1/apps/:app/registry-credentials': {
      server: 'registry.example.com',
      username: 'ci',
      password: 'matrix-password',
    },
    'POST /v1/tokens': { name: 'from the matrix', scope: 'admin' },
    // A public address given as such: creating the webhook needs no DNS and contacts nobody.
    'POST /v1/webhooks': { url: 'http://93.184.215.14/matrix' },
    'PATCH /v1/webhooks/:id': { description: 'changed by the matrix' },
  };
  return bodies[key];
}

function fillPath(operation: Operation, fixture: Fixture): string {
  return operation.path.replace(/\{(\w+)\}/g, (_match, name: string) => {
    if (name === 'app') return fixture.app;
    if (name === 'name') return fixture.envName;
    if (name === 'hostname') return fixture.hostname;
    if (name === 'id' && operation.path.startsWith('/v1/deployments/')) return fixture.deploymentId;
    if (name === 'id' && operation.path.includes('/release-commands/')) return fixture.commandId;
    if (name === 'id' && operation.path.startsWith('/v1/tokens/')) return fixture.tokenToRevoke;
    if (name === 'id' && operation.path.startsWith('/v1/webhooks/')) return fixture.webhookId;
    if (name === 'deliveryId') return fixture.deliveryId;
    throw new Error(
      `the matrix does not know how to fill {${name}} in ${operation.path}: extend fillPath()`,
    );
  });
}

let t: TestServer;
let adminToken: string;
let deployTokenForOtherApp: string;
let cells = 0;

const expectCreated = (res: LightMyRequestResponse) => {
  expect(res.statusCode, res.body).toBeLessThan(300);
  return z.object({ id: z.string() }).loose().parse(JSON.parse(res.body));
};

async function createToken(body: object): Promise<{ id: string; token: string }> {
  const res = await t.server.inject({ method: 'POST', url: '/v1/tokens', payload: body });
  return z.object({ id: z.string(), token: z.string() }).parse(expectCreated(res));
}

/** A fresh app with one of everything a path can name, so every allowed call can succeed. */
async function createFixture(keepDeploymentActive: boolean): Promise<Fixture> {
  const app = `m-${randomBytes(5).toString('hex')}`;
  const post = (url: string, payload: object) => t.server.inject({ method: 'POST', url, payload });
  const { id: applicationId } = expectCreated(await post('/v1/apps', { name: app }));
  const { id: commandId } = expectCreated(
    await post(`/v1/apps/${app}/release-commands`, { label: 'migrate', command: 'true' }),
  );
  const envName = 'MATRIX_VAR';
  const env = await t.server.inject({
    method: 'PUT',
    url: `/v1/apps/${app}/env/${envName}`,
    payload: { value: 'x', secret: false },
  });
  expect(env.statusCode, env.body).toBe(201);
  const hostname = `${app}.matrix.test`;
  const domain = await t.server.inject({
    method: 'PUT',
    url: `/v1/apps/${app}/domains/${hostname}`,
  });
  expect(domain.statusCode, domain.body).toBe(201);
  const credentials = await t.server.inject({
    method: 'PUT',
    url: `/v1/apps/${app}/registry-credentials`,
    payload: { server: 'registry.example.com', username: 'u', password: 'fixture-password' },
  });
  expect(credentials.statusCode, credentials.body).toBe(200);
  const { id: deploymentId } = expectCreated(
    await post(`/v1/apps/${app}/deployments`, { image: FIXTURE_IMAGES.webV1 }),
  );
  // No worker runs here: the deployment is finished by hand (so that streams end and the app
  // can be deleted), and given a live release, unless the operation needs it still queued.
  if (!keepDeploymentActive) {
    await t.db.deployment.update({
      where: { id: deploymentId },
      data: { status: 'succeeded', startedAt: new Date(), finishedAt: new Date() },
    });
    await t.db.release.create({
      data: {
        applicationId,
        deploymentId,
        image: FIXTURE_IMAGES.webV1,
        imageId: `sha256:${'0'.repeat(64)}`,
        engine: 'docker',
        workloadRef: 'f'.repeat(64),
        endpoint: 'http://127.0.0.1:40000',
        webPort: 8080,
      },
    });
  }
  const { id: tokenToRevoke } = await createToken({ name: 'doomed', scope: 'deploy', apps: [app] });
  const { token: deployTokenForThisApp } = await createToken({
    name: `deploy ${app}`,
    scope: 'deploy',
    apps: [app],
  });
  const { id: webhookId } = expectCreated(
    await post('/v1/webhooks', { url: 'http://93.184.215.14/fixture', events: ['step.finished'] }),
  );
  const { id: deliveryId } = await t.db.webhookDelivery.create({
    data: {
      webhookId,
      messageId: `msg_${randomBytes(6).toString('hex')}`,
      eventType: 'step.finished',
      deploymentId,
      payload: { type: 'step.finished' },
      status: 'failed',
      nextAttemptAt: null,
    },
  });
  return {
    app,
    applicationId,
    commandId,
    deploymentId,
    envName,
    hostname,
    tokenToRevoke,
    deployTokenForThisApp,
    webhookId,
    deliveryId,
  };
}

function tokenOf(caller: Caller, fixture: Fixture): string | null {
  switch (caller) {
    case 'no token':
      return null;
    case 'wrong token':
      return `slw_${randomBytes(32).toString('base64url')}`;
    case 'deploy token for another app':
      return deployTokenForOtherApp;
    case 'deploy token for this app':
      return fixture.deployTokenForThisApp;
    case 'admin token':
      return adminToken;
  }
}

beforeAll(async () => {
  t = await startTestServer();
  expectCreated(
    await t.server.inject({ method: 'POST', url: '/v1/apps', payload: { name: 'beta' } }),
  );
  adminToken = (await createToken({ name: 'matrix admin', scope: 'admin' })).token;
  deployTokenForOtherApp = (await createToken({ name: 'beta ci', scope: 'deploy', apps: ['beta'] }))
    .token;
});

afterAll(async () => {
  process.stdout.write(
    `authorization matrix: ${operations.length} operations x ${callers.length} callers = ${cells} cells checked\n`,
  );
  await t.close();
});

describe.each(operations)('$key', (operation) => {
  test.each(callers)('%s', async (caller) => {
    const fixture = await createFixture(
      operation.policy.access === 'app' && operation.policy.action === 'cancel',
    );
    const body = sampleBody(operation.key, fixture);
    if (operation.hasBody && body === undefined) {
      throw new Error(`${operation.key} takes a body: add a succeeding one to sampleBody()`);
    }
    // Each cell its own address, so the failed-authentication limit never interferes.
    const remoteAddress = `10.${randomBytes(1)[0] ?? 0}.${randomBytes(1)[0] ?? 0}.${randomBytes(1)[0] ?? 0}`;
    const res = await t.request(tokenOf(caller, fixture), {
      method: operation.method,
      url: fillPath(operation, fixture),
      remoteAddress,
      ...(body === undefined ? {} : { payload: body }),
    });
    cells += 1;
    const outcome = expected(operation.policy, caller);
    if (outcome === 'allowed' && operation.key === 'POST /v1/apps/:app/rollback') {
      // Past authorization: the fixture app has no live release (no worker runs here), so the
      // answer is the rollback's own refusal, never 401/403.
      expectProblem(res, 409, 'NOTHING_TO_ROLL_BACK');
      return;
    }
    if (outcome === 'allowed') {
      expect(res.statusCode, `${caller}: ${res.body.slice(0, 500)}`).toBeGreaterThanOrEqual(200);
      expect(res.statusCode, `${caller}: ${res.body.slice(0, 500)}`).toBeLessThan(300);
      return;
    }
    const problem = expectProblem(res, outcome, outcome === 401 ? 'UNAUTHENTICATED' : 'FORBIDDEN');
    if (outcome === 401) expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(problem.detail).not.toContain(fixture.deployTokenForThisApp);
  });
});

describe('the policy table itself', () => {
  test('every /v1 operation needs a token', () => {
    for (const operation of operations.filter((op) => op.route.startsWith('/v1/'))) {
      expect(operation.policy.access, operation.key).not.toBe('public');
    }
  });

  test('deploy tokens change nothing but deployments: they may only read, trigger, roll back and cancel', () => {
    for (const operation of operations) {
      const { policy } = operation;
      if (policy.access !== 'app' || !deployScopeActions.has(policy.action)) continue;
      if (operation.method === 'GET') continue;
      expect(
        ['deployment.trigger', 'deployment.rollback', 'deployment.cancel'],
        operation.key,
      ).toContain(policy.audit);
    }
  });

  test('every change is audited: each non-GET /v1 operation names an audit action', () => {
    for (const operation of operations.filter((op) => op.route.startsWith('/v1/'))) {
      if (operation.method === 'GET' || operation.policy.access === 'public') continue;
      expect(operation.policy.audit, operation.key).toEqual(expect.any(String));
    }
  });

  test('no stale entries: every policy belongs to a documented operation (or the document itself)', () => {
    const documented = new Set(operations.map((operation) => operation.key));
    const stale = Object.keys(routePolicies).filter(
      (key) => !documented.has(key) && key !== 'GET /openapi.json',
    );
    expect(stale).toEqual([]);
  });
});
