/**
 * Issue 3, the happy paths against the real engine: trigger → pull → start → probe → activate, a
 * pull from the registry of an image absent locally, and a second release replacing the first.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import {
  ensureDockerFixtures,
  ENSURE_DOCKER_TIMEOUT_MS,
  FIXTURE_IMAGES,
  REGISTRY_IMAGES,
  removeLocalImage,
} from '../support/docker-fixtures.js';
import {
  deploymentPageBody,
  expectJson,
  httpGet,
  problemBody,
  startPipelineHarness,
  stepSummary,
  type PipelineHarness,
} from '../support/pipeline-harness.js';

let harness: PipelineHarness;

beforeAll(async () => {
  await ensureDockerFixtures();
  harness = await startPipelineHarness();
}, ENSURE_DOCKER_TIMEOUT_MS);

afterAll(async () => {
  await harness.close();
});

afterEach(async () => {
  expect(await harness.sweepStrayContainers(), 'containers left behind').toEqual([]);
});

describe('a first deployment', () => {
  test('runs every step, serves the image on a loopback port and records the live release', async () => {
    await harness.createApp('hello');
    expect(await harness.release('hello')).toBeNull();
    // Its hostname is the probe's Host header (frameworks that check Host reject a bare address).
    expect(
      (await harness.request('PUT', '/v1/apps/hello/domains/hello.example.test')).statusCode,
    ).toBe(201);

    const queued = await harness.deploy('hello', FIXTURE_IMAGES.webV1);
    expect(queued).toMatchObject({
      app: 'hello',
      image: FIXTURE_IMAGES.webV1,
      status: 'queued',
      steps: [],
    });
    expect(Date.parse(queued.createdAt)).not.toBeNaN();

    const done = await harness.waitForDeployment(queued.id);
    expect(done.status, done.failureReason ?? '').toBe('succeeded');
    expect(done.failureReason).toBeNull();
    expect(done.imageId).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(stepSummary(done)).toEqual([
      `pull:pull ${FIXTURE_IMAGES.webV1}:succeeded`,
      'start:start web container:succeeded',
      'probe:startup probe:succeeded',
      'activate:activate release:succeeded',
      'route:switch traffic:succeeded',
      'retire:retire previous release:succeeded',
    ]);
    expect(done.steps.map((step) => step.position)).toEqual([0, 1, 2, 3, 4, 5]);
    for (const step of done.steps) {
      expect(step.startedAt).not.toBeNull();
      expect(step.finishedAt).not.toBeNull();
      expect(step.durationMs).toBeGreaterThanOrEqual(0);
      expect(step.error).toBeNull();
      expect(step.source).toBeNull();
    }

    const release = await harness.release('hello');
    expect(release).toMatchObject({
      app: 'hello',
      deploymentId: done.id,
      image: FIXTURE_IMAGES.webV1,
      imageId: done.imageId,
      containerPort: 8080,
    });
    if (release === null) throw new Error('no release');
    expect(await httpGet(release.hostPort)).toEqual({
      status: 200,
      body: 'slipway-test web v1\n',
    });

    const running = await harness.containers('hello');
    expect(running).toHaveLength(1);
    expect(running[0]).toMatchObject({
      id: release.containerId,
      state: 'running',
      role: 'web',
      app: 'hello',
      deployment: done.id,
    });

    const log = await harness.log(done.id);
    for (const heading of [
      '===== docker pull =====',
      '===== docker start web container =====',
      '===== startup probe =====',
      '===== activate release =====',
      '===== ingress route =====',
      '===== retire previous release =====',
    ]) {
      expect(log).toContain(heading);
    }
    expect(log).toContain('web port 8080 (from image EXPOSE)');
    expect(log).toContain(`published on 127.0.0.1:${release.hostPort}`);
    expect(log).toMatch(/ready after \d+ attempt\(s\)/);
    expect(log).toMatch(
      /probing http:\/\/127\.0\.0\.1:\d+\/ with Host: hello\.example\.test every/,
    );
    expect(log).toContain('no previous release to retire');
    // The harness runs without an ingress: the step says so and where the release answers.
    expect(log).toContain(
      `no ingress (SLIPWAY_INGRESS=off): the release answers at http://127.0.0.1:${release.hostPort}`,
    );
    expect(log).toMatch(/===== deployment succeeded in [\d.]+ m?s =====\n$/);
  });

  test('rejects a malformed image reference with 400 and stores nothing', async () => {
    await harness.createApp('malformed');
    for (const image of ['', 'UPPER/case', 'has space:1', 'repo@sha256:short']) {
      const res = await harness.request('POST', '/v1/apps/malformed/deployments', { image });
      expect(expectJson(res, 400, problemBody).code).toBe('VALIDATION_FAILED');
    }
    const page = expectJson(
      await harness.request('GET', '/v1/apps/malformed/deployments'),
      200,
      deploymentPageBody,
    );
    expect(page.items).toEqual([]);
  });

  test('an unknown deployment id or app is 404', async () => {
    const res = await harness.request(
      'GET',
      '/v1/deployments/00000000-0000-4000-8000-000000000000',
    );
    expect(expectJson(res, 404, problemBody).code).toBe('DEPLOYMENT_NOT_FOUND');
    const app = await harness.request('POST', '/v1/apps/no-such-app/deployments', {
      image: FIXTURE_IMAGES.webV1,
    });
    expect(app.statusCode).toBe(404);
  });

  test('pulls an image that is only in the registry', async () => {
    await removeLocalImage(REGISTRY_IMAGES.webV1);
    await harness.createApp('from-registry');
    const queued = await harness.deploy('from-registry', REGISTRY_IMAGES.webV1);
    const done = await harness.waitForDeployment(queued.id);
    expect(done.status, done.failureReason ?? '').toBe('succeeded');

    const log = await harness.log(done.id);
    // The registry's digest is only known after a real pull from it.
    expect(log).toContain(`(${REGISTRY_IMAGES.webV1.replace(/:v1$/, '')}@sha256:`);
    const release = await harness.release('from-registry');
    if (release === null) throw new Error('no release');
    expect(release.image).toBe(REGISTRY_IMAGES.webV1);
    expect((await httpGet(release.hostPort))?.body).toBe('slipway-test web v1\n');
  });
});

describe('a second deployment', () => {
  test('replaces the first: the old container is removed and the release points at the new one', async () => {
    // Nothing retained: the old container is removed at once (retention: test/pipeline/rollback.test.ts).
    await harness.createApp('replaced', { retainReleases: 0 });
    const first = await harness.waitForDeployment(
      (await harness.deploy('replaced', FIXTURE_IMAGES.webV1)).id,
    );
    expect(first.status, first.failureReason ?? '').toBe('succeeded');
    const v1 = await harness.release('replaced');
    if (v1 === null) throw new Error('no release');

    const second = await harness.waitForDeployment(
      (await harness.deploy('replaced', FIXTURE_IMAGES.webV2)).id,
    );
    expect(second.status, second.failureReason ?? '').toBe('succeeded');

    const v2 = await harness.release('replaced');
    if (v2 === null) throw new Error('no release');
    expect(v2).toMatchObject({ deploymentId: second.id, image: FIXTURE_IMAGES.webV2 });
    expect(v2.containerId).not.toBe(v1.containerId);
    expect((await httpGet(v2.hostPort))?.body).toBe('slipway-test web v2\n');

    const ofApp = await harness.containers('replaced');
    expect(ofApp.map((c) => c.id)).toEqual([v2.containerId]);
    expect(await harness.log(second.id)).toContain(
      `stopped and removed previous release ${first.id} (container ${v1.containerId.slice(0, 12)}) in `,
    );
    expect(await harness.log(second.id)).toMatch(/\(SIGTERM, SIGKILL after 10 s\)/);

    const page = expectJson(
      await harness.request('GET', '/v1/apps/replaced/deployments?limit=1'),
      200,
      deploymentPageBody,
    );
    expect(page.items.map((d) => d.id)).toEqual([second.id]);
    if (page.nextCursor === null) throw new Error('expected a second page');
    const next = expectJson(
      await harness.request(
        'GET',
        `/v1/apps/replaced/deployments?limit=1&cursor=${encodeURIComponent(page.nextCursor)}`,
      ),
      200,
      deploymentPageBody,
    );
    expect(next.items.map((d) => d.id)).toEqual([first.id]);
    expect(next.nextCursor).toBeNull();
  });
});
