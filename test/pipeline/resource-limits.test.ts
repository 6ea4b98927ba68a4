/**
 * Issue 11 item 16: per-app resource limits reach the real containers. A release command that
 * allocates more memory than its app allows is ended by the OOM killer and fails with
 * "out of memory (limit N MiB)"; the live web container carries the limits in its HostConfig,
 * and a release command sees them from inside (its cgroup).
 */
import Docker from 'dockerode';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { z } from 'zod';
import {
  ensureDockerFixtures,
  ENSURE_DOCKER_TIMEOUT_MS,
  FIXTURE_IMAGES,
} from '../support/docker-fixtures.js';
import {
  expectJson,
  startPipelineHarness,
  type PipelineHarness,
} from '../support/pipeline-harness.js';

const mebibyte = 1024 * 1024;
// `tail` keeps the whole newline-free input in memory: 64 MiB, far over a 16 MiB limit (more than Docker's 6 MiB minimum, so a loaded machine still starts the shell).
const hog = 'head -c 64m /dev/zero | tail > /dev/null';
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

async function setResources(app: string, resources: object): Promise<void> {
  const res = await harness.request('PATCH', `/v1/apps/${app}/settings/resources`, resources);
  expectJson(res, 200, z.object({ memoryMiB: z.number() }).loose());
}

describe('resource limits', () => {
  test('a release command over its memory limit fails with "out of memory (limit 16 MiB)"', async () => {
    await harness.createApp('hungry', { releaseCommands: [{ label: 'hog', command: hog }] });
    await setResources('hungry', { memoryMiB: 16 });
    const done = await harness.waitForDeployment(
      (await harness.deploy('hungry', FIXTURE_IMAGES.webV1)).id,
    );
    expect(done.status).toBe('failed');
    expect(done.failureReason).toBe("release command 'hog' ran out of memory (limit 16 MiB)");
    const step = done.steps.find((s) => s.kind === 'release_command');
    expect(step).toMatchObject({
      status: 'failed',
      error: 'out of memory (limit 16 MiB)',
      exitCode: 137,
    });
    expect(await harness.log(done.id)).toContain('out of memory (limit 16 MiB)');
  });

  test('control: the same command within a larger limit succeeds', async () => {
    await harness.createApp('fed', { releaseCommands: [{ label: 'hog', command: hog }] });
    await setResources('fed', { memoryMiB: 256 });
    const done = await harness.waitForDeployment(
      (await harness.deploy('fed', FIXTURE_IMAGES.webV1)).id,
    );
    expect(done.status, done.failureReason ?? '').toBe('succeeded');
  });

  test('the web container and release commands run with the app’s limits', async () => {
    const readLimits = [
      'cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes',
      'cat /sys/fs/cgroup/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids/pids.max',
    ].join('; ');
    await harness.createApp('limited', {
      releaseCommands: [{ label: 'limits', command: readLimits }],
    });
    await setResources('limited', { memoryMiB: 64, cpus: 0.5, pids: 100 });
    const done = await harness.waitForDeployment(
      (await harness.deploy('limited', FIXTURE_IMAGES.webV1)).id,
    );
    expect(done.status, done.failureReason ?? '').toBe('succeeded');
    const log = await harness.log(done.id);
    expect(log).toContain(`\n${64 * mebibyte}\n100\n`);

    const release = await harness.release('limited');
    if (release === null) throw new Error('no live release');
    const inspected = await new Docker().getContainer(release.containerId).inspect();
    expect(inspected.HostConfig).toMatchObject({
      Memory: 64 * mebibyte,
      MemorySwap: 64 * mebibyte,
      NanoCpus: 500_000_000,
      PidsLimit: 100,
    });
  });

  test('an app with no settings changed runs with the documented defaults', async () => {
    await harness.createApp('default-limits');
    const done = await harness.waitForDeployment(
      (await harness.deploy('default-limits', FIXTURE_IMAGES.webV1)).id,
    );
    expect(done.status, done.failureReason ?? '').toBe('succeeded');
    const release = await harness.release('default-limits');
    if (release === null) throw new Error('no live release');
    const inspected = await new Docker().getContainer(release.containerId).inspect();
    expect(inspected.HostConfig).toMatchObject({
      Memory: 512 * mebibyte,
      NanoCpus: 1_000_000_000,
      PidsLimit: 512,
    });
  });
});
