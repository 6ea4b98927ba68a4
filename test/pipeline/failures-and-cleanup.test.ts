/**
 * Issue 3, failures against the real engine: whatever fails, every container of the failed
 * deployment is removed, the previous release keeps serving untouched, and the log says so.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import {
  ensureDockerFixtures,
  ENSURE_DOCKER_TIMEOUT_MS,
  FIXTURE_IMAGES,
  TEST_REGISTRY,
} from '../support/docker-fixtures.js';
import {
  httpGet,
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

/** Deploys web:v1 and returns its live release. */
async function liveV1(app: string) {
  const first = await harness.waitForDeployment(
    (await harness.deploy(app, FIXTURE_IMAGES.webV1)).id,
  );
  expect(first.status, first.failureReason ?? '').toBe('succeeded');
  const release = await harness.release(app);
  if (release === null) throw new Error('no release');
  return release;
}

describe('a failed deployment', () => {
  test('of an image that exists nowhere fails at the pull and starts nothing', async () => {
    await harness.createApp('missing', {
      releaseCommands: [{ label: 'migrate', command: 'echo nope' }],
    });
    const image = `${TEST_REGISTRY}/slipway-test/does-not-exist:v1`;
    const done = await harness.waitForDeployment((await harness.deploy('missing', image)).id);
    expect(done.status).toBe('failed');
    expect(done.failureReason).toMatch(/^pull failed: /);
    expect(done.imageId).toBeNull();
    expect(stepSummary(done)).toEqual([
      `pull:pull ${image}:failed`,
      'release_command:migrate:skipped',
      'start:start web container:skipped',
      'probe:startup probe:skipped',
      'activate:activate release:skipped',
      'route:switch traffic:skipped',
      'retire:retire previous release:skipped',
    ]);
    expect(done.steps[0]?.error).toEqual(expect.any(String));
    const log = await harness.log(done.id);
    expect(log).toContain('no containers to clean up');
    expect(log).toMatch(/===== deployment failed in [\d.]+ m?s: pull failed: .+ =====\n$/);
    expect(await harness.containers('missing')).toEqual([]);
  });

  test('whose web container never gets ready removes it and leaves the previous release serving', async () => {
    await harness.createApp('keeps-old', { probe: { maxRetries: 5 } });
    const v1 = await liveV1('keeps-old');
    expect(
      (
        await harness.request('POST', '/v1/apps/keeps-old/release-commands', {
          label: 'migrate',
          command: 'echo migrated',
        })
      ).statusCode,
    ).toBe(201);

    const failed = await harness.waitForDeployment(
      (await harness.deploy('keeps-old', FIXTURE_IMAGES.webNever)).id,
      { timeoutMs: 30_000 },
    );
    expect(failed.status).toBe('failed');
    expect(stepSummary(failed).slice(1)).toEqual([
      'release_command:migrate:succeeded',
      'start:start web container:succeeded',
      'probe:startup probe:failed',
      'activate:activate release:skipped',
      'route:switch traffic:skipped',
      'retire:retire previous release:skipped',
    ]);

    expect(await harness.release('keeps-old')).toEqual(v1);
    expect((await harness.containers('keeps-old')).map((c) => c.id)).toEqual([v1.containerId]);
    expect(await httpGet(v1.hostPort)).toEqual({ status: 200, body: 'slipway-test web v1\n' });
    const log = await harness.log(failed.id);
    expect(log).toContain('removed 1 container(s) of this deployment');
    expect(log).toContain(
      `previous release ${v1.deploymentId} (container ${v1.containerId.slice(0, 12)}) left running untouched`,
    );
  });

  test('whose web container the engine refuses to start leaves nothing behind', async () => {
    await harness.createApp('unstartable');
    const v1 = await liveV1('unstartable');
    const failed = await harness.waitForDeployment(
      (await harness.deploy('unstartable', FIXTURE_IMAGES.webUnstartable)).id,
    );
    expect(failed.status).toBe('failed');
    expect(stepSummary(failed).slice(1)).toEqual([
      'start:start web container:failed',
      'probe:startup probe:skipped',
      'activate:activate release:skipped',
      'route:switch traffic:skipped',
      'retire:retire previous release:skipped',
    ]);
    expect(failed.failureReason).toMatch(/^start web container failed: /);
    expect((await harness.containers('unstartable')).map((c) => c.id)).toEqual([v1.containerId]);
    expect((await httpGet(v1.hostPort))?.body).toBe('slipway-test web v1\n');
  });
});
