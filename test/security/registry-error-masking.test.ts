/**
 * Issue 11 item 13: a registry that echoes the Basic credentials it was sent in its 401 answer.
 * The registry password must not reach the failure reason, the step error or the log (deploy
 * tokens can read all three); it is masked like step output.
 */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { ensureDockerFixtures, ENSURE_DOCKER_TIMEOUT_MS } from '../support/docker-fixtures.js';
import { startPipelineHarness, type PipelineHarness } from '../support/pipeline-harness.js';

const password = `REGPW-${'7'.repeat(20)}`;
let harness: PipelineHarness;
let registry: Server;
let port = 0;
let requestsSeen = 0;

beforeAll(async () => {
  await ensureDockerFixtures();
  harness = await startPipelineHarness();
  // A registry that always refuses, repeating the credentials it got, as a careless one might.
  registry = createServer((request, response) => {
    requestsSeen += 1;
    const auth = request.headers.authorization ?? '';
    const sent = auth.startsWith('Basic ')
      ? Buffer.from(auth.slice(6), 'base64').toString('utf8')
      : '(none)';
    response.writeHead(401, {
      'content-type': 'application/json',
      'www-authenticate': `Basic realm="echo"`,
      'docker-distribution-api-version': 'registry/2.0',
    });
    response.end(
      JSON.stringify({
        errors: [{ code: 'UNAUTHORIZED', message: `credentials ${sent} are not valid here` }],
      }),
    );
  });
  await new Promise<void>((resolve) => registry.listen(0, '127.0.0.1', resolve));
  const address = registry.address();
  if (address === null || typeof address === 'string') throw new Error('not listening');
  port = address.port;
}, ENSURE_DOCKER_TIMEOUT_MS);

afterAll(async () => {
  registry.close();
  await harness.close();
});

test('a registry echoing the credentials: the password appears nowhere Slipway stores or returns', async () => {
  await harness.createApp('echoing');
  const put = await harness.request('PUT', '/v1/apps/echoing/registry-credentials', {
    server: `127.0.0.1:${port}`,
    username: 'reguser',
    password,
  });
  expect(put.statusCode, put.body).toBe(200);
  const deployment = await harness.waitForDeployment(
    (await harness.deploy('echoing', `127.0.0.1:${port}/team/app:1`)).id,
  );
  // The registry was really asked (with credentials): this test sees what it would leak.
  expect(requestsSeen).toBeGreaterThan(0);
  expect(deployment.status).toBe('failed');
  const everything = [
    JSON.stringify(deployment),
    await harness.log(deployment.id),
    (await harness.request('GET', `/v1/apps/echoing/deployments`)).body,
  ].join('\n');
  expect(everything).not.toContain(password);
  expect(everything).not.toContain(password.slice(0, 12));
  expect(deployment.failureReason).toMatch(/^pull failed: /);
}, 120_000);
