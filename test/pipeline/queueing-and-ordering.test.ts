/**
 * Issue 3, the queue against real Redis and a real worker: deployments of one app run one at a
 * time in trigger order, different apps run side by side, a failed enqueue answers 503 and fails
 * the row, and a deployment runs with the settings it was triggered with.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { z } from 'zod';
import {
  ensureDockerFixtures,
  ENSURE_DOCKER_TIMEOUT_MS,
  FIXTURE_IMAGES,
} from '../support/docker-fixtures.js';
import { createRedisConnection } from '../../src/queue/redis-connection.js';
import {
  deploymentPageBody,
  expectJson,
  httpGet,
  problemBody,
  startPipelineHarness,
  stepSummary,
  type DeploymentBody,
  type PipelineHarness,
} from '../support/pipeline-harness.js';

let harness: PipelineHarness;

beforeAll(async () => {
  await ensureDockerFixtures();
  harness = await startPipelineHarness({ concurrency: 2 });
}, ENSURE_DOCKER_TIMEOUT_MS);

afterAll(async () => {
  await harness.close();
});

afterEach(async () => {
  expect(await harness.sweepStrayContainers(), 'containers left behind').toEqual([]);
});

const time = (iso: string | null): number => {
  if (iso === null) throw new Error('timestamp missing');
  return Date.parse(iso);
};

/** [first step started, last step finished] of a finished deployment. */
function span(deployment: DeploymentBody): [number, number] {
  const starts = deployment.steps.flatMap((s) => (s.startedAt === null ? [] : [time(s.startedAt)]));
  const ends = deployment.steps.flatMap((s) => (s.finishedAt === null ? [] : [time(s.finishedAt)]));
  return [Math.min(...starts), Math.max(...ends)];
}

describe('queueing', () => {
  test('deployments of one app run one after the other, in trigger order', async () => {
    await harness.createApp('serial', {
      releaseCommands: [{ label: 'pause', command: 'sleep 1' }],
    });
    const images = [FIXTURE_IMAGES.webV1, FIXTURE_IMAGES.webV2, FIXTURE_IMAGES.webV1];
    const triggered: DeploymentBody[] = [];
    for (const image of images) triggered.push(await harness.deploy('serial', image));
    const done: DeploymentBody[] = [];
    for (const deployment of triggered) {
      done.push(await harness.waitForDeployment(deployment.id, { timeoutMs: 60_000 }));
    }
    for (const deployment of done) {
      expect(deployment.status, deployment.failureReason ?? '').toBe('succeeded');
    }
    for (let i = 1; i < done.length; i++) {
      const before = done[i - 1];
      const after = done[i];
      if (before === undefined || after === undefined) throw new Error('missing deployment');
      // Never overlapping: every step of the later one starts after the earlier one finished.
      expect(span(after)[0]).toBeGreaterThanOrEqual(span(before)[1]);
      expect(time(after.startedAt)).toBeGreaterThanOrEqual(time(before.finishedAt));
    }
    expect((await harness.release('serial'))?.deploymentId).toBe(triggered[2]?.id);
    const page = expectJson(
      await harness.request('GET', '/v1/apps/serial/deployments'),
      200,
      deploymentPageBody,
    );
    expect(page.items.map((d) => d.id)).toEqual(triggered.map((d) => d.id).reverse());
  });

  test('deployments of different apps run at the same time', async () => {
    for (const app of ['side-a', 'side-b']) {
      await harness.createApp(app, {
        // Long enough that the other app's deployment surely starts while this one runs.
        releaseCommands: [{ label: 'pause', command: 'sleep 3' }],
      });
    }
    const a = await harness.deploy('side-a', FIXTURE_IMAGES.webV1);
    const b = await harness.deploy('side-b', FIXTURE_IMAGES.webV2);
    const [doneA, doneB] = [
      await harness.waitForDeployment(a.id),
      await harness.waitForDeployment(b.id),
    ];
    expect(doneA.status, doneA.failureReason ?? '').toBe('succeeded');
    expect(doneB.status, doneB.failureReason ?? '').toBe('succeeded');
    const [startA, endA] = span(doneA);
    const [startB, endB] = span(doneB);
    // Overlapping intervals: each started before the other finished.
    expect(startA).toBeLessThan(endB);
    expect(startB).toBeLessThan(endA);
  });

  test('a deployment that cannot be queued answers 503 and ends failed', async () => {
    // Nothing listens on port 1: every Redis command of this API fails.
    const deadRedis = createRedisConnection('redis://127.0.0.1:1', { lazy: true });
    deadRedis.on('error', () => {
      // Expected: the connection is refused.
    });
    const broken = await harness.apiWithRedis(deadRedis);
    await harness.createApp('unqueued');

    const res = await broken.request('POST', '/v1/apps/unqueued/deployments', {
      image: FIXTURE_IMAGES.webV1,
    });
    const problem = expectJson(res, 503, problemBody);
    expect(problem.code).toBe('DEPENDENCY_UNAVAILABLE');
    deadRedis.disconnect();

    const page = expectJson(
      await harness.request('GET', '/v1/apps/unqueued/deployments'),
      200,
      deploymentPageBody,
    );
    expect(page.items).toHaveLength(1);
    expect(page.items[0]).toMatchObject({
      status: 'failed',
      failureReason: 'could not be queued: the job queue (Redis) is unavailable',
    });
    expect(problem.detail).toContain(page.items[0]?.id ?? 'no id');
    const deployment = await harness.getDeployment(page.items[0]?.id ?? '');
    expect(deployment.steps).toEqual([]);
    expect(await harness.containers('unqueued')).toEqual([]);
  });

  test('a deployment runs with the settings of its trigger, not later edits', async () => {
    await harness.createApp('snapshot', {
      releaseCommands: [{ label: 'original', command: 'echo original-command; sleep 1' }],
    });
    const first = await harness.deploy('snapshot', FIXTURE_IMAGES.webV1);
    const second = await harness.deploy('snapshot', FIXTURE_IMAGES.webV2);
    // The first runs (or waits to), the second is queued behind it: both carry the old settings.
    expect((await harness.getDeployment(second.id)).status).toBe('queued');

    const commands = expectJson(
      await harness.request('GET', '/v1/apps/snapshot/release-commands'),
      200,
      z.object({ items: z.array(z.object({ id: z.uuid() })) }),
    );
    for (const command of commands.items) {
      expect(
        (await harness.request('DELETE', `/v1/apps/snapshot/release-commands/${command.id}`))
          .statusCode,
      ).toBe(204);
    }
    expect(
      (
        await harness.request('POST', '/v1/apps/snapshot/release-commands', {
          label: 'edited',
          command: 'echo edited-command',
        })
      ).statusCode,
    ).toBe(201);
    // A path the fixture server answers with 404, and a port it does not listen on.
    expect(
      (
        await harness.request('PATCH', '/v1/apps/snapshot/settings/startup-probe', {
          path: '/no-such-page',
          maxRetries: 3,
        })
      ).statusCode,
    ).toBe(200);
    expect(
      (await harness.request('PATCH', '/v1/apps/snapshot/settings/web-container', { port: 9999 }))
        .statusCode,
    ).toBe(200);

    for (const deployment of [first, second]) {
      const done = await harness.waitForDeployment(deployment.id);
      expect(done.status, done.failureReason ?? '').toBe('succeeded');
      expect(done.steps.filter((s) => s.kind === 'release_command').map((s) => s.label)).toEqual([
        'original',
      ]);
      const log = await harness.log(done.id);
      expect(log).toContain('original-command\n');
      expect(log).toContain('web port 8080 (from image EXPOSE)');
    }
    const live = await harness.release('snapshot');
    expect(live?.deploymentId).toBe(second.id);
    expect((await httpGet(live?.hostPort ?? 0))?.body).toBe('slipway-test web v2\n');

    // A deployment triggered now gets the edited settings (and so fails its probe).
    const third = await harness.waitForDeployment(
      (await harness.deploy('snapshot', FIXTURE_IMAGES.webV1)).id,
      { timeoutMs: 30_000 },
    );
    expect(third.status).toBe('failed');
    expect(stepSummary(third).slice(1, 2)).toEqual(['release_command:edited:succeeded']);
    expect(await harness.log(third.id)).toContain('web port 9999 (from app settings)');
    expect((await harness.release('snapshot'))?.deploymentId).toBe(second.id);
  });
});
