/**
 * Idempotency-Key over real HTTP: twenty concurrent triggers with one key create exactly one
 * deployment (one row, one run), every response names it; the same key with another body is 422.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { REGISTRY_IMAGES } from '../support/docker-fixtures.js';
import { killLeftoverWorkers } from '../support/worker-process.js';
import {
  createApp,
  deploymentBody,
  expectStatus,
  startHarness,
  storedLog,
  waitForFinished,
  harnessStartTimeoutMs,
  type Harness,
} from './harness.js';

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
  await h.startWorker();
}, harnessStartTimeoutMs);

afterAll(async () => {
  killLeftoverWorkers();
  await h.close();
});

function triggerWithKey(app: string, image: string, key: string) {
  return h.api(`/v1/apps/${app}/deployments`, {
    method: 'POST',
    body: { image },
    headers: { 'idempotency-key': key },
  });
}

describe('Idempotency-Key', () => {
  test('20 concurrent triggers with one key: one deployment, run once, same id everywhere', async () => {
    const app = await createApp(h, 'idem', {
      releaseCommands: [{ label: 'once', command: 'echo ran-once' }],
    });
    const key = `deploy-${app}`;
    const responses = await Promise.all(
      Array.from({ length: 20 }, () => triggerWithKey(app, REGISTRY_IMAGES.webV1, key)),
    );
    const statuses = responses.map((response) => response.status).sort();
    expect(statuses, responses.map((r) => r.text).join('\n')).toEqual([
      ...Array.from({ length: 19 }, () => 200),
      202,
    ]);
    const ids = new Set(responses.map((response) => deploymentBody.parse(response.json()).id));
    expect(ids.size).toBe(1);
    const [id] = [...ids];
    if (id === undefined) throw new Error('no id');

    const application = await h.db.application.findUniqueOrThrow({ where: { name: app } });
    const rows = await h.db.deployment.findMany({ where: { applicationId: application.id } });
    expect(rows.map((row) => row.id)).toEqual([id]);

    const done = await waitForFinished(h.db, id, 60_000);
    expect(done.status).toBe('succeeded');
    expect((await storedLog(h.db, id)).match(/^ran-once$/gm)).toHaveLength(1);

    // A retry after it finished still answers with the original.
    const retry = await triggerWithKey(app, REGISTRY_IMAGES.webV1, key);
    expectStatus(retry, 200);
    expect(deploymentBody.parse(retry.json())).toMatchObject({ id, status: 'succeeded' });
    expect(await h.db.deployment.count({ where: { applicationId: application.id } })).toBe(1);
  }, 120_000);

  test('the same key with a different body is 422 and creates nothing', async () => {
    const app = await createApp(h, 'idem-body');
    const key = `deploy-${app}`;
    const first = await triggerWithKey(app, REGISTRY_IMAGES.webV1, key);
    expectStatus(first, 202);
    const other = await triggerWithKey(app, REGISTRY_IMAGES.webV2, key);
    expectStatus(other, 422);
    expect(other.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const application = await h.db.application.findUniqueOrThrow({ where: { name: app } });
    expect(await h.db.deployment.count({ where: { applicationId: application.id } })).toBe(1);
    await waitForFinished(h.db, deploymentBody.parse(first.json()).id, 60_000);
  }, 120_000);
});
