/**
 * A canary secret, set on an app and echoed by its release command in every way a command might
 * (whole, to stderr, split across two writes with a pause between, in `env` output), must never
 * appear in clear anywhere Slipway puts things: API responses, the stored log, the SSE stream,
 * the audit log, the application's own log lines, or any column of any table.
 *
 * Runs the real pipeline: the API in process, a BullMQ worker in process, the real Docker engine.
 */
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import type { LightMyRequestResponse } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { z } from 'zod';
import { labelKeys } from '../../src/docker/container-labels.js';
import { createDockerEngine } from '../../src/docker/docker-engine.js';
import { createRedisConnection } from '../../src/queue/redis-connection.js';
import { composeWorker } from '../../src/worker/compose-worker.js';
import {
  ENSURE_DOCKER_TIMEOUT_MS,
  REGISTRY_IMAGES,
  TEST_AUTH_REGISTRY_CREDENTIALS,
  ensureDockerFixtures,
  removeContainersWithLabel,
  removeLocalImage,
} from '../support/docker-fixtures.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

const canary = `canary-${randomBytes(12).toString('hex')}`;
/** Set after the trigger: the deployment must still run with the value it was triggered with. */
const laterCanary = `later-${randomBytes(12).toString('hex')}`;
const registryPassword = TEST_AUTH_REGISTRY_CREDENTIALS.password;
const forbidden = [canary, laterCanary, registryPassword];

const logLines: string[] = [];
const sink = new Writable({
  write(chunk: Buffer, _encoding, done) {
    logLines.push(chunk.toString('utf8'));
    done();
  },
});
/** API and worker log through this, at the most verbose level, as an operator might run them. */
const logger = pino({ level: 'trace' }, sink);

const releaseCommand = [
  'echo "the secret is $CANARY"',
  'echo "$CANARY" >&2',
  // Split across two writes with a pause, so the two halves reach the log writer separately.
  'printf "%s" "$(echo "$CANARY" | cut -c1-10)"',
  'sleep 1',
  'printf "%s\\n" "$(echo "$CANARY" | cut -c11-)"',
  // Issue 11 item 12: half on stdout, a line on stderr, the other half on stdout.
  'printf "interleaved:%s" "$(echo "$CANARY" | cut -c1-15)"',
  'sleep 1',
  'echo " warning" >&2',
  'sleep 1',
  'printf "%s\\n" "$(echo "$CANARY" | cut -c16-)"',
  'env | sort | grep -E "^(CANARY|PLAIN|SLIPWAY_)"',
].join('; ');

let t: TestServer;
let stopWorker: (() => Promise<void>) | undefined;
const instance = `canary-${randomBytes(4).toString('hex')}`;
const responses: { what: string; body: string; headers: string }[] = [];
let deploymentId = '';
let hostPort = 0;

async function call(method: 'GET' | 'POST' | 'PUT' | 'PATCH', url: string, payload?: object) {
  const res = await t.server.inject({
    method,
    url,
    ...(payload === undefined ? {} : { payload }),
  });
  record(`${method} ${url}`, res);
  expect(res.statusCode, `${method} ${url}: ${res.body.slice(0, 500)}`).toBeLessThan(300);
  return res;
}

function record(what: string, res: LightMyRequestResponse): void {
  responses.push({ what, body: res.body, headers: JSON.stringify(res.headers) });
}

async function waitUntilFinished(
  id: string,
): Promise<{ status: string; failureReason: string | null }> {
  const deadline = Date.now() + 90_000;
  for (;;) {
    const res = await t.server.inject({ method: 'GET', url: `/v1/deployments/${id}` });
    record('GET deployment (polling)', res);
    const body = z
      .object({ status: z.string(), failureReason: z.string().nullable() })
      .loose()
      .parse(JSON.parse(res.body));
    if (['succeeded', 'failed', 'cancelled'].includes(body.status)) return body;
    if (Date.now() > deadline) throw new Error(`deployment ${id} did not finish: ${res.body}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

beforeAll(async () => {
  await ensureDockerFixtures();
  // A real pull from the registry that demands the credentials stored on the app.
  await removeLocalImage(REGISTRY_IMAGES.authWebV1);
  t = await startTestServer({ logger });

  await call('POST', '/v1/apps', { name: 'canary' });
  await call('PATCH', '/v1/apps/canary/settings/startup-probe', {
    startupTimeoutSeconds: 20,
    intervalMs: 100,
  });
  await call('PUT', '/v1/apps/canary/env/CANARY', { value: canary, secret: true });
  await call('PUT', '/v1/apps/canary/env/PLAIN', { value: 'visible-value', secret: false });
  await call('PUT', '/v1/apps/canary/registry-credentials', {
    server: TEST_AUTH_REGISTRY_CREDENTIALS.server,
    username: TEST_AUTH_REGISTRY_CREDENTIALS.username,
    password: registryPassword,
  });
  await call('POST', '/v1/apps/canary/release-commands', {
    label: 'leak attempt',
    command: releaseCommand,
    timeoutSeconds: 60,
  });
  const triggered = await call('POST', '/v1/apps/canary/deployments', {
    image: REGISTRY_IMAGES.authWebV1,
  });
  deploymentId = z.object({ id: z.uuid() }).loose().parse(JSON.parse(triggered.body)).id;
  // Changed after the trigger: the deployment keeps the snapshot.
  await call('PUT', '/v1/apps/canary/env/CANARY', { value: laterCanary, secret: true });

  const workerRedis = createRedisConnection(inject('redisUrl'), { failFast: false });
  workerRedis.on('error', (error) => {
    logger.warn({ err: error }, 'worker redis error');
  });
  const worker = composeWorker({
    db: t.db,
    redis: workerRedis,
    engine: createDockerEngine({ instance, network: undefined, authConfig: null }),
    secretKey: t.secretKey,
    logger,
    workerId: `${instance}-worker`,
    concurrency: 1,
    deploymentTimeoutSeconds: 120,
    lostAfterSeconds: 10,
    reconcileIntervalSeconds: 5,
    queuePrefix: t.redisPrefix,
  });
  await worker.start();
  stopWorker = async () => {
    await worker.stop(0);
    workerRedis.disconnect();
  };

  const finished = await waitUntilFinished(deploymentId);
  expect(finished, JSON.stringify(finished)).toMatchObject({ status: 'succeeded' });
  const release = await call('GET', '/v1/apps/canary/release');
  hostPort = z.object({ hostPort: z.number() }).loose().parse(JSON.parse(release.body)).hostPort;
}, ENSURE_DOCKER_TIMEOUT_MS + 180_000);

afterAll(async () => {
  await stopWorker?.();
  await removeContainersWithLabel(labelKeys.instance, instance);
  await t.close();
});

describe('a canary secret echoed by a release command', () => {
  test('is masked in the deployment log, wherever and however it was printed', async () => {
    const res = await call('GET', `/v1/deployments/${deploymentId}/log`);
    expect(res.body).toContain('the secret is *****');
    expect(res.body).toMatch(/\n\*\*\*\*\*\n/);
    expect(res.body).toContain('CANARY=*****');
    expect(res.body).toContain('PLAIN=visible-value');
    expect(res.body).toContain('SLIPWAY_APP=canary');
    expect(res.body).toContain(`SLIPWAY_DEPLOYMENT_ID=${deploymentId}`);
    expect(res.body).toContain('SLIPWAY_RELEASE_COMMAND=1');
    // Five times masked: echo, stderr, the split printf, the interleaved halves, and env.
    expect(res.body.split('*****').length - 1).toBeGreaterThanOrEqual(5);
  });

  test('a secret split by a stderr line between its halves is masked everywhere', async () => {
    const halves = [canary.slice(0, 15), canary.slice(15)];
    const text = (await call('GET', `/v1/deployments/${deploymentId}/log`)).body;
    // The stderr line came between the halves; the stdout secret is still masked whole.
    expect(text).toContain('interleaved: warning\n*****\n');
    const sse = await t.server.inject({
      method: 'GET',
      url: `/v1/deployments/${deploymentId}/log`,
      headers: { accept: 'text/event-stream' },
    });
    record('SSE stream (interleaved)', sse);
    expect(sse.body).toContain(' warning');
    const chunks = await t.db.logChunk.findMany({ where: { deploymentId } });
    const stored = chunks.map((chunk) => chunk.text).join('');
    expect(stored).toContain('interleaved:');
    for (const [where, body] of [
      ['text log', text],
      ['SSE', sse.body],
      ['log_chunks', stored],
    ] as const) {
      for (const half of halves) expect(body, `${where} has ${half}`).not.toContain(half);
    }
  });

  test('the pull step used the app’s registry credentials', async () => {
    const res = await call('GET', `/v1/deployments/${deploymentId}/log`);
    expect(res.body).toContain(
      `Pulling ${REGISTRY_IMAGES.authWebV1} with credentials of ${TEST_AUTH_REGISTRY_CREDENTIALS.username}`,
    );
  });

  test('the web container got the variables as they were at the trigger', async () => {
    const res = await fetch(`http://127.0.0.1:${hostPort}/cgi-bin/env`, {
      signal: AbortSignal.timeout(5000),
    });
    const env = await res.text();
    expect(env).toContain(`CANARY=${canary}`);
    expect(env).not.toContain(laterCanary);
    expect(env).toContain('PLAIN=visible-value');
    expect(env).toContain('SLIPWAY_APP=canary');
    expect(env).not.toContain('SLIPWAY_RELEASE_COMMAND');
  });

  test('never appears in the SSE stream', async () => {
    const res = await t.server.inject({
      method: 'GET',
      url: `/v1/deployments/${deploymentId}/log`,
      headers: { accept: 'text/event-stream' },
    });
    record('SSE stream', res);
    expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(res.body).toContain('*****');
    expect(res.body).toContain('event: end');
  });

  test('never appears in the audit log', async () => {
    await call('GET', '/v1/audit?limit=100');
    await call('GET', '/v1/apps/canary/audit?limit=100');
  });

  test('never appears in any API response', async () => {
    for (const url of [
      '/v1/apps/canary',
      '/v1/apps/canary/settings',
      '/v1/apps/canary/env',
      '/v1/apps/canary/registry-credentials',
      '/v1/apps/canary/deployments',
      '/v1/apps/canary/release',
      `/v1/deployments/${deploymentId}`,
      '/v1/tokens',
      '/metrics',
    ]) {
      await call('GET', url);
    }
    expect(responses.length).toBeGreaterThan(20);
    for (const response of responses) {
      for (const secret of forbidden) {
        expect(response.body, response.what).not.toContain(secret);
        expect(response.headers, response.what).not.toContain(secret);
      }
    }
  });

  test('never appears in the application’s log lines (API and worker)', () => {
    expect(logLines.length).toBeGreaterThan(10);
    const text = logLines.join('');
    for (const secret of [...forbidden, t.adminToken]) expect(text).not.toContain(secret);
  });

  test('is in no column of any table in clear (nor base64 or hex of it)', async () => {
    const tables = await t.db.$queryRaw<{ table_name: string }[]>`
      SELECT table_name FROM information_schema.tables
      WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`;
    expect(tables.map((row) => row.table_name)).toEqual(
      expect.arrayContaining(['env_vars', 'deployments', 'log_chunks', 'audit_events']),
    );
    const encodings = (secret: string) => [
      secret,
      Buffer.from(secret).toString('base64'),
      Buffer.from(secret).toString('base64url'),
      Buffer.from(secret).toString('hex'),
    ];
    let rows = 0;
    for (const { table_name: table } of tables) {
      const dump = await t.db.$queryRawUnsafe<{ row: string }[]>(
        `SELECT t::text AS row FROM "${table}" AS t`,
      );
      rows += dump.length;
      const text = dump.map((row) => row.row).join('\n');
      for (const secret of forbidden) {
        for (const encoded of encodings(secret)) expect(text, table).not.toContain(encoded);
      }
    }
    expect(rows).toBeGreaterThan(10);
    const chunks = await t.db.logChunk.findMany({ where: { deploymentId } });
    expect(chunks.map((chunk) => chunk.text).join('')).toContain('*****');
  });
});
