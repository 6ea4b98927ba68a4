import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { z } from 'zod';
import { FIXTURE_IMAGES } from '../support/docker-fixtures.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { createApp, expectJson, expectProblem } from './helpers.js';

const isoDate = z.iso.datetime();
const envVarBody = z
  .object({
    name: z.string(),
    value: z.string().nullable(),
    secret: z.boolean(),
    createdAt: isoDate,
    updatedAt: isoDate,
  })
  .strict();
const envListBody = z.object({ items: z.array(envVarBody) }).strict();
const credentialsBody = z
  .object({
    server: z.string(),
    username: z.string(),
    passwordSet: z.literal(true),
    updatedAt: isoDate,
  })
  .strict();

let t: TestServer;

beforeAll(async () => {
  t = await startTestServer();
});

afterAll(async () => {
  await t.close();
});

function put(app: string, name: string, payload: unknown) {
  return t.server.inject({
    method: 'PUT',
    url: `/v1/apps/${app}/env/${name}`,
    payload: JSON.stringify(payload),
    headers: { 'content-type': 'application/json' },
  });
}

async function list(app: string) {
  return expectJson(
    await t.server.inject({ method: 'GET', url: `/v1/apps/${app}/env` }),
    200,
    envListBody,
  ).items;
}

/** Every column of every row of the table, as text: what someone reading the database sees. */
async function rawTable(table: 'env_vars' | 'registry_credentials' | 'deployments') {
  const rows = await t.db.$queryRawUnsafe<{ row: string }[]>(
    `SELECT t::text AS row FROM ${table} AS t`,
  );
  return rows.map((r) => r.row).join('\n');
}

describe('environment variables', () => {
  test('PUT creates (201) then replaces (200); GET lists them by name', async () => {
    await createApp(t.server, 'env-basic');
    const created = expectJson(
      await put('env-basic', 'LOG_LEVEL', { value: 'debug' }),
      201,
      envVarBody,
    );
    expect(created).toMatchObject({ name: 'LOG_LEVEL', value: 'debug', secret: false });
    const replaced = expectJson(
      await put('env-basic', 'LOG_LEVEL', { value: 'info', secret: false }),
      200,
      envVarBody,
    );
    expect(replaced.value).toBe('info');
    expect(replaced.createdAt).toBe(created.createdAt);
    expectJson(await put('env-basic', 'A_FIRST', { value: '' }), 201, envVarBody);
    expect((await list('env-basic')).map((v) => [v.name, v.value])).toEqual([
      ['A_FIRST', ''],
      ['LOG_LEVEL', 'info'],
    ]);
  });

  test('a secret is never returned: "value": null, "secret": true', async () => {
    await createApp(t.server, 'env-secret');
    const res = await put('env-secret', 'DB_PASSWORD', { value: 'hunter2-canary', secret: true });
    expect(expectJson(res, 201, envVarBody)).toMatchObject({ value: null, secret: true });
    expect(res.body).not.toContain('hunter2-canary');
    const listed = await t.server.inject({ method: 'GET', url: '/v1/apps/env-secret/env' });
    expect(listed.body).not.toContain('hunter2-canary');
    expect(envListBody.parse(JSON.parse(listed.body)).items).toEqual([
      expect.objectContaining({ name: 'DB_PASSWORD', value: null, secret: true }),
    ]);
  });

  test('secret values are encrypted at rest; a fresh nonce each time', async () => {
    await createApp(t.server, 'env-rest');
    await put('env-rest', 'TOKEN_A', { value: 'same-secret-value', secret: true });
    await put('env-rest', 'TOKEN_B', { value: 'same-secret-value', secret: true });
    const raw = await rawTable('env_vars');
    expect(raw).not.toContain('same-secret-value');
    expect(raw).not.toContain(Buffer.from('same-secret-value').toString('base64'));
    const sealed = await t.db.envVar.findMany({
      where: { application: { name: 'env-rest' } },
      orderBy: { name: 'asc' },
    });
    expect(sealed.map((row) => row.value)).toEqual([null, null]);
    expect(sealed[0]?.sealedValue).toMatch(/^v1\./);
    expect(sealed[0]?.sealedValue).not.toBe(sealed[1]?.sealedValue);
  });

  test('turning a secret into a plain variable drops the ciphertext, and back', async () => {
    await createApp(t.server, 'env-flip');
    await put('env-flip', 'FLAG', { value: 'secret-one', secret: true });
    expectJson(await put('env-flip', 'FLAG', { value: 'plain' }), 200, envVarBody);
    let row = await t.db.envVar.findFirstOrThrow({
      where: { name: 'FLAG', application: { name: 'env-flip' } },
    });
    expect([row.secret, row.value, row.sealedValue]).toEqual([false, 'plain', null]);
    await put('env-flip', 'FLAG', { value: 'secret-two', secret: true });
    row = await t.db.envVar.findFirstOrThrow({
      where: { name: 'FLAG', application: { name: 'env-flip' } },
    });
    expect([row.secret, row.value]).toEqual([true, null]);
    expect(row.sealedValue).toMatch(/^v1\./);
  });

  test('DELETE removes a variable; then 404 ENV_VAR_NOT_FOUND', async () => {
    await createApp(t.server, 'env-delete');
    await put('env-delete', 'GONE', { value: 'x' });
    const del = () => t.server.inject({ method: 'DELETE', url: '/v1/apps/env-delete/env/GONE' });
    expect((await del()).statusCode).toBe(204);
    expectProblem(await del(), 404, 'ENV_VAR_NOT_FOUND');
    expect(await list('env-delete')).toEqual([]);
  });

  test('an unknown app is 404 APP_NOT_FOUND', async () => {
    expectProblem(await put('no-such-app', 'X', { value: 'y' }), 404, 'APP_NOT_FOUND');
    expectProblem(
      await t.server.inject({ method: 'GET', url: '/v1/apps/no-such-app/env' }),
      404,
      'APP_NOT_FOUND',
    );
  });

  test.each([
    ['starting with a digit', '1ABC'],
    ['with a hyphen', 'A-B'],
    ['with a dot', 'A.B'],
    ['non-ASCII', 'CAFÉ'],
    ['256 characters', 'A'.repeat(256)],
    ['reserved SLIPWAY_ prefix', 'SLIPWAY_APP'],
    ['reserved prefix in lowercase', 'slipway_x'],
  ])('rejects a name %s with 400', async (_label, name) => {
    await createApp(t.server, 'env-names').catch(() => undefined);
    expectProblem(
      await put('env-names', encodeURIComponent(name), { value: 'x' }),
      400,
      'VALIDATION_FAILED',
    );
  });

  test('POSIX names are accepted, case-sensitively, up to 255 characters', async () => {
    await createApp(t.server, 'env-posix');
    for (const name of ['_', 'a', 'lower_case', 'MiXeD_123', `A${'_'.repeat(254)}`]) {
      expect((await put('env-posix', name, { value: name })).statusCode, name).toBe(201);
    }
    expect((await put('env-posix', 'A', { value: 'upper' })).statusCode).toBe(201);
    expect((await list('env-posix')).map((v) => v.name)).toContain('a');
  });

  test('values up to 64 KiB (UTF-8 bytes); more is 400', async () => {
    await createApp(t.server, 'env-size');
    expect((await put('env-size', 'BIG', { value: 'x'.repeat(65536) })).statusCode).toBe(201);
    expectProblem(
      await put('env-size', 'BIG', { value: 'x'.repeat(65537) }),
      400,
      'VALIDATION_FAILED',
    );
    // 32 769 two-byte characters: fewer than 65 536 characters, more than 65 536 bytes.
    expectProblem(
      await put('env-size', 'BIG', { value: 'é'.repeat(32769) }),
      400,
      'VALIDATION_FAILED',
    );
    expect((await put('env-size', 'MULTILINE', { value: 'a\n\tb\r\n' })).statusCode).toBe(201);
  });

  test.each([
    ['a NUL character', { value: 'a\u0000b' }],
    ['a control character', { value: 'a\u0007b' }],
    ['no value', { secret: true }],
    ['a non-string value', { value: 42 }],
    ['a non-boolean secret flag', { value: 'x', secret: 'yes' }],
    ['an unknown field', { value: 'x', note: 'y' }],
    [
      'a secret shorter than 4 characters (it could not be masked in logs)',
      { value: 'abc', secret: true },
    ],
  ])('rejects %s with 400', async (_label, payload) => {
    await createApp(t.server, 'env-bodies').catch(() => undefined);
    expectProblem(await put('env-bodies', 'X', payload), 400, 'VALIDATION_FAILED');
  });

  test('at most 500 variables per app: the 501st is 422, replacing one is fine', async () => {
    const app = await createApp(t.server, 'env-many');
    await t.db.envVar.createMany({
      data: Array.from({ length: 500 }, (_, i) => ({
        applicationId: app.id,
        name: `V${i}`,
        secret: false,
        value: String(i),
      })),
    });
    const problem = expectProblem(
      await put('env-many', 'ONE_MORE', { value: 'x' }),
      422,
      'SETTINGS_CONFLICT',
    );
    expect(problem.detail).toContain('500');
    expect((await put('env-many', 'V7', { value: 'replaced' })).statusCode).toBe(200);
  });
});

describe('deployments get a snapshot of the variables', () => {
  test('taken at trigger time, secrets still sealed; later changes do not reach it', async () => {
    await createApp(t.server, 'env-snap');
    await put('env-snap', 'MODE', { value: 'before' });
    await put('env-snap', 'API_KEY', { value: 'snapshot-secret-canary', secret: true });
    const triggered = await t.server.inject({
      method: 'POST',
      url: '/v1/apps/env-snap/deployments',
      payload: { image: FIXTURE_IMAGES.webV1 },
    });
    expect(triggered.statusCode, triggered.body).toBe(202);
    const { id } = z.object({ id: z.uuid() }).loose().parse(JSON.parse(triggered.body));
    expect(triggered.body).not.toContain('snapshot-secret-canary');
    await put('env-snap', 'MODE', { value: 'after' });
    await put('env-snap', 'ADDED_LATER', { value: 'x' });

    const row = await t.db.deployment.findUniqueOrThrow({ where: { id } });
    const snapshot = z.array(z.record(z.string(), z.unknown())).parse(row.envSnapshot);
    expect(snapshot.map((entry) => entry.name)).toEqual(['API_KEY', 'MODE']);
    expect(Object.keys(snapshot[0] ?? {}).sort()).toEqual(['name', 'sealedValue', 'secret']);
    expect(snapshot[0]?.secret).toBe(true);
    expect(String(snapshot[0]?.sealedValue)).toMatch(/^v1\./);
    expect(snapshot[1]).toEqual({ name: 'MODE', secret: false, value: 'before' });
    expect(await rawTable('deployments')).not.toContain('snapshot-secret-canary');
    const read = await t.server.inject({ method: 'GET', url: `/v1/deployments/${id}` });
    expect(read.body).not.toContain('sealedValue');
    expect(read.body).not.toContain('envSnapshot');
  });
});

describe('registry credentials', () => {
  test('PUT stores them; the password is never returned and encrypted at rest', async () => {
    await createApp(t.server, 'reg');
    const res = await t.server.inject({
      method: 'PUT',
      url: '/v1/apps/reg/registry-credentials',
      payload: {
        server: 'registry.example.com',
        username: 'deployer',
        password: 'reg-pass-canary',
      },
    });
    expect(expectJson(res, 200, credentialsBody)).toMatchObject({
      server: 'registry.example.com',
      username: 'deployer',
      passwordSet: true,
    });
    expect(res.body).not.toContain('reg-pass-canary');
    const read = await t.server.inject({ method: 'GET', url: '/v1/apps/reg/registry-credentials' });
    expect(expectJson(read, 200, credentialsBody).username).toBe('deployer');
    expect(read.body).not.toContain('reg-pass-canary');
    expect(await rawTable('registry_credentials')).not.toContain('reg-pass-canary');
  });

  test('PUT replaces; DELETE removes; then 404 REGISTRY_CREDENTIALS_NOT_FOUND', async () => {
    await createApp(t.server, 'reg-replace');
    const url = '/v1/apps/reg-replace/registry-credentials';
    for (const username of ['first', 'second']) {
      const res = await t.server.inject({
        method: 'PUT',
        url,
        payload: { server: '127.0.0.1:5001', username, password: 'pw-1234' },
      });
      expect(expectJson(res, 200, credentialsBody).username).toBe(username);
    }
    expect((await t.server.inject({ method: 'DELETE', url })).statusCode).toBe(204);
    expectProblem(
      await t.server.inject({ method: 'GET', url }),
      404,
      'REGISTRY_CREDENTIALS_NOT_FOUND',
    );
    expectProblem(
      await t.server.inject({ method: 'DELETE', url }),
      404,
      'REGISTRY_CREDENTIALS_NOT_FOUND',
    );
  });

  test.each([
    ['no password', { server: 'r.example.com', username: 'u' }],
    ['an empty password', { server: 'r.example.com', username: 'u', password: '' }],
    ['a server with spaces', { server: 'r example', username: 'u', password: 'p' }],
    ['a server with a user part', { server: 'user@r.example.com', username: 'u', password: 'p' }],
    ['an unknown field', { server: 'r.example.com', username: 'u', password: 'p', email: 'x' }],
  ])('rejects %s with 400', async (_label, payload) => {
    await createApp(t.server, 'reg-bad').catch(() => undefined);
    expectProblem(
      await t.server.inject({
        method: 'PUT',
        url: '/v1/apps/reg-bad/registry-credentials',
        payload,
      }),
      400,
      'VALIDATION_FAILED',
    );
  });
});
