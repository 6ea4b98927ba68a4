import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { createApp, expectProblem, unique } from './helpers.js';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t.close();
});

describe('DELETE /v1/apps/{app} while deployments are active', () => {
  test('is refused with 409 APP_BUSY while a deployment is queued, and allowed once it is cancelled', async () => {
    const name = unique('busy');
    await createApp(t.server, name);
    // No worker runs in this file, so the deployment stays queued.
    const triggered = await t.server.inject({
      method: 'POST',
      url: `/v1/apps/${name}/deployments`,
      payload: { image: 'slipway-test/web:v1' },
    });
    expect(triggered.statusCode, triggered.body).toBe(202);
    const { id } = triggered.json<{ id: string }>();

    expectProblem(
      await t.server.inject({ method: 'DELETE', url: `/v1/apps/${name}` }),
      409,
      'APP_BUSY',
    );
    const still = await t.server.inject({ method: 'GET', url: `/v1/apps/${name}` });
    expect(still.statusCode).toBe(200);

    const cancelled = await t.server.inject({
      method: 'POST',
      url: `/v1/deployments/${id}/cancel`,
    });
    expect(cancelled.statusCode, cancelled.body).toBe(200);
    expect(cancelled.json<{ status: string }>().status).toBe('cancelled');

    const deleted = await t.server.inject({ method: 'DELETE', url: `/v1/apps/${name}` });
    expect(deleted.statusCode, deleted.body).toBe(204);
    const history = await t.server.inject({ method: 'GET', url: `/v1/deployments/${id}` });
    expectProblem(history, 404, 'DEPLOYMENT_NOT_FOUND');
  });

  test('a deployment triggered for an app deleted in the meantime is a 404, not a 500', async () => {
    const name = unique('gone');
    await createApp(t.server, name);
    const results = await Promise.all([
      t.server.inject({ method: 'DELETE', url: `/v1/apps/${name}` }),
      ...Array.from({ length: 5 }, () =>
        t.server.inject({
          method: 'POST',
          url: `/v1/apps/${name}/deployments`,
          payload: { image: 'slipway-test/web:v1' },
        }),
      ),
    ]);
    for (const res of results) expect([202, 204, 404, 409], res.body).toContain(res.statusCode);
  });
});
