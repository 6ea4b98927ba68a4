/**
 * Issue 11 item 18: an image with `VOLUME /data` gets an anonymous volume in every container made
 * from it. Slipway must remove those volumes with every container it removes (release-command
 * containers, failed and cancelled web containers, the retired previous release), so no deployment
 * leaves a dangling volume behind.
 */
import { randomBytes } from 'node:crypto';
import Docker from 'dockerode';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { labelKeys } from '../../src/docker/container-labels.js';
import {
  buildImage,
  dockerCli,
  ensureDockerFixtures,
  ENSURE_DOCKER_TIMEOUT_MS,
  FIXTURE_IMAGES,
  removeLocalImage,
} from '../support/docker-fixtures.js';
import { startPipelineHarness, type PipelineHarness } from '../support/pipeline-harness.js';
import { leakedVolumes, volumesOfInstance } from '../support/volume-leaks.js';

const image = `slipway-test/web-volume:${randomBytes(4).toString('hex')}`;
let harness: PipelineHarness;
let since = 0;

beforeAll(async () => {
  await ensureDockerFixtures();
  await buildImage(
    image,
    [
      `FROM ${FIXTURE_IMAGES.webV1}`,
      // Content in the image's /data is copied into each new anonymous volume, as in real images.
      'RUN mkdir -p /data && echo seed > /data/seed',
      'VOLUME /data',
    ].join('\n'),
  );
  since = Date.now();
  harness = await startPipelineHarness();
}, ENSURE_DOCKER_TIMEOUT_MS);

afterAll(async () => {
  await harness.close();
  // close() removed the live releases too (with their volumes): nothing of this file remains.
  expect(await leakedVolumes(harness.instance, since)).toEqual([]);
  await removeLocalImage(image);
});

afterEach(async () => {
  expect(await harness.sweepStrayContainers(), 'containers left behind').toEqual([]);
});

describe('anonymous volumes of removed containers', () => {
  test('a successful deployment and the one that replaces it leave no volume behind', async () => {
    await harness.createApp('vol-ok', {
      releaseCommands: [{ label: 'write data', command: 'echo migrated > /data/state' }],
    });
    for (let round = 0; round < 2; round++) {
      const done = await harness.waitForDeployment((await harness.deploy('vol-ok', image)).id);
      expect(done.status, done.failureReason ?? '').toBe('succeeded');
    }
    // Two release containers and the retired first web container each had a volume.
    const volumes = await volumesOfInstance(harness.instance, since);
    expect(volumes.size).toBeGreaterThanOrEqual(4);
    expect(await leakedVolumes(harness.instance, since)).toEqual([]);
  });

  test('a failing release command and a cancelled startup probe leave no volume behind', async () => {
    await harness.createApp('vol-fail', {
      releaseCommands: [{ label: 'fail', command: 'echo oops > /data/x; exit 3' }],
    });
    const failed = await harness.waitForDeployment((await harness.deploy('vol-fail', image)).id);
    expect(failed.status).toBe('failed');

    // The probe never succeeds (404), so the web container exists while it is cancelled.
    await harness.createApp('vol-cancel', {
      probe: { path: '/missing', startupTimeoutSeconds: 60 },
    });
    const triggered = await harness.deploy('vol-cancel', image);
    const deadline = Date.now() + 30_000;
    for (;;) {
      const current = await harness.getDeployment(triggered.id);
      if (current.steps.some((step) => step.kind === 'probe' && step.status === 'running')) break;
      if (Date.now() > deadline) throw new Error('the probe step never started');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const res = await harness.request('POST', `/v1/deployments/${triggered.id}/cancel`);
    expect(res.statusCode, res.body).toBeLessThan(300);
    const cancelled = await harness.waitForDeployment(triggered.id);
    expect(cancelled.status).toBe('cancelled');

    expect(await leakedVolumes(harness.instance, since)).toEqual([]);
  });

  test('negative control: a container removed without its volumes is seen as a leak', async () => {
    const docker = new Docker();
    const container = await docker.createContainer({
      Image: image,
      Entrypoint: ['/bin/true'],
      Labels: { [labelKeys.instance]: harness.instance },
    });
    await container.start();
    await container.wait({ condition: 'not-running' });
    await container.remove({ force: true });
    const leaked = await leakedVolumes(harness.instance, since);
    try {
      expect(leaked).toHaveLength(1);
    } finally {
      if (leaked.length > 0) await dockerCli(['volume', 'rm', ...leaked]);
    }
    expect(await leakedVolumes(harness.instance, since)).toEqual([]);
  });
});
