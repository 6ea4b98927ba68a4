/**
 * webContainer.replicas against the real engine: every replica of a release is started, probed and
 * recorded; the next release replaces the whole set; a replica that fails its probe fails the
 * deployment naming it, leaves none of the candidate's containers, and the live set untouched.
 */
import Docker from 'dockerode';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { labelKeys } from '../../src/docker/container-labels.js';
import {
  ensureDockerFixtures,
  ENSURE_DOCKER_TIMEOUT_MS,
  FIXTURE_IMAGES,
} from '../support/docker-fixtures.js';
import {
  expectJson,
  startPipelineHarness,
  type PipelineHarness,
  type ReleaseBody,
} from '../support/pipeline-harness.js';
import { z } from 'zod';

let harness: PipelineHarness;
const docker = new Docker();

beforeAll(async () => {
  await ensureDockerFixtures();
  harness = await startPipelineHarness();
}, ENSURE_DOCKER_TIMEOUT_MS);

afterAll(async () => {
  await harness.close();
  expect(await harness.containers(), 'containers left after close').toEqual([]);
});

afterEach(async () => {
  expect(await harness.sweepStrayContainers(), 'containers left behind').toEqual([]);
});

/** The container's hostname (its short id) as the fixture's CGI env page reports it. */
async function hostnameAt(endpoint: string): Promise<string | null> {
  const res = await fetch(`${endpoint}/cgi-bin/env`, { signal: AbortSignal.timeout(5000) });
  if (res.status !== 200) return null;
  return /^HOSTNAME=(.*)$/m.exec(await res.text())?.[1] ?? null;
}

async function deployed(app: string, image: string): Promise<ReleaseBody> {
  const done = await harness.waitForDeployment((await harness.deploy(app, image)).id);
  expect(done.status, `${done.failureReason ?? ''}\n${await harness.log(done.id)}`).toBe(
    'succeeded',
  );
  const release = await harness.release(app);
  if (release === null) throw new Error('no live release');
  return release;
}

async function runningWeb(app: string) {
  return (await harness.containers(app)).filter((c) => c.role === 'web' && c.state === 'running');
}

describe('replicas', () => {
  test('3 replicas all serve; the next release replaces all three; 3 → 1 works', async () => {
    await harness.createApp('trio', { replicas: 3, retainReleases: 0 });
    const first = await deployed('trio', FIXTURE_IMAGES.webV1);
    expect(first.replicas).toBe(3);
    expect(first.endpoints).toHaveLength(3);
    expect(new Set(first.endpoints).size).toBe(3);
    expect(first.endpoint).toBe(first.endpoints[0]);
    const web = await runningWeb('trio');
    expect(web).toHaveLength(3);
    expect(web.every((c) => c.deployment === first.deploymentId)).toBe(true);
    // Each endpoint is answered by a different one of the three containers.
    const hostnames = await Promise.all(first.endpoints.map(hostnameAt));
    expect(new Set(hostnames).size).toBe(3);
    for (const hostname of hostnames) {
      expect(web.some((c) => hostname !== null && c.id.startsWith(hostname))).toBe(true);
    }
    const row = await harness.api.db.release.findFirstOrThrow({
      where: { deploymentId: first.deploymentId },
    });
    expect(row.endpoints).toEqual(first.endpoints);

    const second = await deployed('trio', FIXTURE_IMAGES.webV2);
    const afterSecond = await harness.containers('trio');
    expect(afterSecond).toHaveLength(3);
    expect(afterSecond.every((c) => c.deployment === second.deploymentId)).toBe(true);
    const log = await harness.log(second.deploymentId);
    expect(log).toMatch(/stopped and removed previous release .*3 containers/);

    expectJson(
      await harness.request('PATCH', '/v1/apps/trio/settings/web-container', { replicas: 1 }),
      200,
      z.object({}),
    );
    const third = await deployed('trio', FIXTURE_IMAGES.webV1);
    expect(third.replicas).toBe(1);
    expect(third.endpoints).toEqual([third.endpoint]);
    // One replica: the ref is the container id, as before replicas.
    expect(third.workload.ref).toMatch(/^[0-9a-f]{64}$/);
    const afterThird = await harness.containers('trio');
    expect(afterThird.map((c) => c.id)).toEqual([third.workload.ref]);
    expect(await hostnameAt(third.endpoint)).not.toBeNull();
  }, 180_000);

  test('a replica that fails its probe fails the deployment naming it; the live set stays', async () => {
    await harness.createApp('flaky', { replicas: 2 });
    const live = await deployed('flaky', FIXTURE_IMAGES.webV1);
    const liveIds = (await runningWeb('flaky')).map((c) => c.id).sort();
    expect(liveIds).toHaveLength(2);

    expectJson(
      await harness.request('PATCH', '/v1/apps/flaky/settings/web-container', { replicas: 3 }),
      200,
      z.object({}),
    );
    // web-slow listens only ~3 s after it starts: replica 2 is killed before it is ready.
    const queued = await harness.deploy('flaky', FIXTURE_IMAGES.webSlow);
    let killed = false;
    for (let i = 0; i < 200 && !killed; i += 1) {
      const [second] = await docker.listContainers({
        filters: {
          label: [
            `${labelKeys.instance}=${harness.instance}`,
            `${labelKeys.deployment}=${queued.id}`,
            `${labelKeys.replica}=2`,
          ],
        },
      });
      if (second !== undefined) {
        await docker.getContainer(second.Id).kill();
        killed = true;
      } else {
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    }
    expect(killed).toBe(true);
    const done = await harness.waitForDeployment(queued.id);
    expect(done.status).toBe('failed');
    const probe = done.steps.find((step) => step.kind === 'probe');
    expect(probe?.status).toBe('failed');
    expect(probe?.error).toMatch(/^replica 2 of 3: web container exited with code \d+/);
    expect(await harness.log(done.id)).toMatch(/replica 2: probing http/);
    // Nothing of the candidate is left; the live set is the same two containers, still serving.
    const left = await harness.containers('flaky');
    expect(left.filter((c) => c.deployment === queued.id)).toEqual([]);
    expect((await runningWeb('flaky')).map((c) => c.id).sort()).toEqual(liveIds);
    expect((await harness.release('flaky'))?.deploymentId).toBe(live.deploymentId);
    for (const endpoint of live.endpoints) expect(await hostnameAt(endpoint)).not.toBeNull();
  }, 180_000);
});
