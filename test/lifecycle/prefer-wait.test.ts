/**
 * POST /v1/apps/{app}/deployments with `Prefer: wait=N` (RFC 7240): answers when the deployment
 * finished (200) or after N seconds (202), with Preference-Applied; bad values are a 400.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { FIXTURE_IMAGES } from '../support/docker-fixtures.js';
import {
  createApp,
  deploymentBody,
  expectStatus,
  harnessStartTimeoutMs,
  startHarness,
  waitForFinished,
  type Harness,
} from './harness.js';

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
  await h.startWorker();
}, harnessStartTimeoutMs);

afterAll(async () => {
  await h.close();
});

function triggerWith(app: string, prefer: string) {
  return h.api(`/v1/apps/${app}/deployments`, {
    method: 'POST',
    body: { image: FIXTURE_IMAGES.webV1 },
    headers: { prefer },
  });
}

test('wait=120 on a quick deployment answers 200 with the finished deployment', async () => {
  const app = await createApp(h, 'wait-done');
  const response = await triggerWith(app, 'wait=120');
  expectStatus(response, 200);
  expect(response.headers.get('preference-applied')).toBe('wait=120');
  const deployment = deploymentBody.parse(response.json());
  expect(deployment.status).toBe('succeeded');
  expect(deployment.steps.every((step) => step.status === 'succeeded')).toBe(true);
});

test('wait=1 on a slow deployment answers 202 after about a second, still running', async () => {
  const app = await createApp(h, 'wait-slow', {
    releaseCommands: [{ label: 'slow', command: 'echo slow; sleep 8' }],
  });
  const started = Date.now();
  const response = await triggerWith(app, 'respond-async, wait=1');
  const took = Date.now() - started;
  expectStatus(response, 202);
  expect(response.headers.get('preference-applied')).toBe('wait=1');
  expect(['queued', 'running']).toContain(deploymentBody.parse(response.json()).status);
  expect(took).toBeGreaterThanOrEqual(1000);
  expect(took).toBeLessThan(5000);
  const id = deploymentBody.parse(response.json()).id;
  expect((await waitForFinished(h.db, id, 60_000)).status).toBe('succeeded');
});

test('without a wait preference the trigger answers at once, as before', async () => {
  const app = await createApp(h, 'wait-none');
  const response = await triggerWith(app, 'respond-async');
  expectStatus(response, 202);
  expect(response.headers.get('preference-applied')).toBeNull();
  expect(deploymentBody.parse(response.json()).status).toBe('queued');
  await waitForFinished(h.db, deploymentBody.parse(response.json()).id, 60_000);
});

test.each(['wait=301', 'wait=abc', 'wait=', 'wait=-1'])(
  'Prefer: %s is a 400 and creates nothing',
  async (prefer) => {
    const app = await createApp(h, 'wait-bad');
    const response = await triggerWith(app, prefer);
    expectStatus(response, 400);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(response.text).toContain('VALIDATION_FAILED');
    const row = await h.db.application.findFirstOrThrow({ where: { name: app } });
    expect(await h.db.deployment.count({ where: { applicationId: row.id } })).toBe(0);
  },
);
