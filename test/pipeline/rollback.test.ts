/**
 * Issue 10, rollback and retained releases against the real engine: the retire step keeps the
 * previous release's container stopped (up to retainReleases), a rollback starts it again (no
 * pull, no new container, release commands skipped), or creates one from the image id when none
 * is kept; the reconciler keeps retained containers and forgets records of vanished ones.
 */
import Docker from 'dockerode';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { z } from 'zod';
import { labelKeys } from '../../src/docker/container-labels.js';
import { createDockerEngine } from '../../src/docker/docker-engine.js';
import { createRecoveryStore } from '../../src/db/deployment-store.js';
import { createLogStore } from '../../src/db/log-store.js';
import { createReconciler } from '../../src/worker/reconciler.js';
import {
  ensureDockerFixtures,
  ENSURE_DOCKER_TIMEOUT_MS,
  FIXTURE_IMAGES,
  REGISTRY_IMAGES,
} from '../support/docker-fixtures.js';
import {
  deploymentBody,
  expectJson,
  httpGet,
  problemBody,
  startPipelineHarness,
  stepSummary,
  type DeploymentBody,
  type PipelineHarness,
  type ReleaseBody,
} from '../support/pipeline-harness.js';

let harness: PipelineHarness;
const docker = new Docker();

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

async function deployOk(app: string, image: string): Promise<DeploymentBody> {
  const done = await harness.waitForDeployment((await harness.deploy(app, image)).id);
  expect(done.status, done.failureReason ?? '').toBe('succeeded');
  return done;
}

async function liveRelease(app: string): Promise<ReleaseBody> {
  const release = await harness.release(app);
  if (release === null) throw new Error(`${app} has no release`);
  return release;
}

async function rollback(app: string, body?: object): Promise<DeploymentBody> {
  const res = await harness.request('POST', `/v1/apps/${app}/rollback`, body);
  const queued = expectJson(res, 202, deploymentBody);
  expect(queued).toMatchObject({ kind: 'rollback', status: 'queued' });
  const done = await harness.waitForDeployment(queued.id);
  expect(done.status, `${done.failureReason ?? ''}\n${await harness.log(done.id)}`).toBe(
    'succeeded',
  );
  return done;
}

async function stateOf(id: string): Promise<string> {
  const inspected = await docker.getContainer(id).inspect();
  return inspected.State.Status;
}

const migrate = [{ label: 'migrate', command: 'echo running-migration' }];

describe('rollback to a retained release', () => {
  test('v1 → v2 → rollback: the retained v1 container serves again, with no pull, no new container and no release commands', async () => {
    await harness.createApp('rb-retained', { releaseCommands: migrate });
    const first = await deployOk('rb-retained', FIXTURE_IMAGES.webV1);
    const v1 = await liveRelease('rb-retained');
    const second = await deployOk('rb-retained', FIXTURE_IMAGES.webV2);
    const v2 = await liveRelease('rb-retained');
    expect(await harness.log(second.id)).toContain(
      `stopped previous release ${first.id} (container ${v1.containerId.slice(0, 12)})`,
    );
    // v1 is kept, stopped.
    expect(await stateOf(v1.containerId)).toBe('exited');
    const before = (await harness.containers('rb-retained')).map((c) => c.id).sort();
    expect(before).toEqual([v1.containerId, v2.containerId].sort());

    const back = await rollback('rb-retained');
    expect(back).toMatchObject({
      kind: 'rollback',
      rollbackOf: first.id,
      image: FIXTURE_IMAGES.webV1,
      imageId: first.imageId,
    });
    expect(stepSummary(back)).toEqual([
      `pull:use image ${(first.imageId ?? '').slice(0, 19)}:succeeded`,
      'start:start web container:succeeded',
      'probe:startup probe:succeeded',
      'activate:activate release:succeeded',
      'route:switch traffic:succeeded',
      'retire:retire previous release:succeeded',
    ]);
    const live = await liveRelease('rb-retained');
    expect(live).toMatchObject({ deploymentId: back.id, containerId: v1.containerId });
    expect(await httpGet(live.hostPort)).toEqual({ status: 200, body: 'slipway-test web v1\n' });

    const log = await harness.log(back.id);
    expect(log).toContain(`restarted retained container ${v1.containerId.slice(0, 12)}`);
    expect(log).toContain('no pull');
    expect(log).not.toContain('Pulling');
    expect(log).toContain('release commands skipped: a rollback does not reverse migrations');
    expect(log).not.toContain('running-migration');
    // No container was created: the same two, v2 now stopped and retained.
    const after = (await harness.containers('rb-retained')).map((c) => c.id).sort();
    expect(after).toEqual(before);
    expect(await stateOf(v2.containerId)).toBe('exited');
    expect(log).toContain(`stopped previous release ${second.id}`);
  });

  test('negative control: with retainReleases 0 nothing is kept; a rollback creates a container from the image id', async () => {
    await harness.createApp('rb-none', { retainReleases: 0 });
    const first = await deployOk('rb-none', FIXTURE_IMAGES.webV1);
    const v1 = await liveRelease('rb-none');
    await deployOk('rb-none', FIXTURE_IMAGES.webV2);
    expect((await harness.containers('rb-none')).map((c) => c.id)).not.toContain(v1.containerId);

    const back = await rollback('rb-none');
    const live = await liveRelease('rb-none');
    expect(live.containerId).not.toBe(v1.containerId);
    expect(live.imageId).toBe(first.imageId);
    expect(await httpGet(live.hostPort)).toEqual({ status: 200, body: 'slipway-test web v1\n' });
    const log = await harness.log(back.id);
    expect(log).toContain('no retained container of the target release');
    expect(log).not.toContain('restarted retained container');
    expect(log).not.toContain('Pulling');
    expect((await harness.containers('rb-none')).map((c) => c.id)).toEqual([live.containerId]);
  });

  test('`to` an older deployment with runReleaseCommands runs its release commands again', async () => {
    await harness.createApp('rb-to', { releaseCommands: migrate });
    const first = await deployOk('rb-to', FIXTURE_IMAGES.webV1);
    await deployOk('rb-to', FIXTURE_IMAGES.webV2);
    await deployOk('rb-to', FIXTURE_IMAGES.webV2);

    const back = await rollback('rb-to', { to: first.id, runReleaseCommands: true });
    expect(back.rollbackOf).toBe(first.id);
    expect(stepSummary(back)).toContain('release_command:migrate:succeeded');
    const log = await harness.log(back.id);
    expect(log).toContain('running-migration');
    expect(log).not.toContain('release commands skipped');
    const live = await liveRelease('rb-to');
    expect(await httpGet(live.hostPort)).toEqual({ status: 200, body: 'slipway-test web v1\n' });
  });

  test('a changed variable is not brought back: a retained container started with other variables is not reused', async () => {
    await harness.createApp('rb-env');
    expect(
      (await harness.request('PUT', '/v1/apps/rb-env/env/GREETING', { value: 'old' })).statusCode,
    ).toBeLessThan(300);
    await deployOk('rb-env', FIXTURE_IMAGES.webV1);
    const v1 = await liveRelease('rb-env');
    await deployOk('rb-env', FIXTURE_IMAGES.webV2);
    expect(
      (await harness.request('PUT', '/v1/apps/rb-env/env/GREETING', { value: 'rotated' }))
        .statusCode,
    ).toBeLessThan(300);

    const back = await rollback('rb-env');
    const live = await liveRelease('rb-env');
    expect(live.containerId).not.toBe(v1.containerId);
    expect(await harness.log(back.id)).toContain('a rotated secret must not come back');
    const env = await httpGet(live.hostPort, '/cgi-bin/env');
    expect(env?.body).toContain('GREETING=rotated');
  });
});

describe('retention', () => {
  test('4 deploys with retainReleases 2 keep exactly the 2 newest previous containers, stopped', async () => {
    await harness.createApp('rb-keep', { retainReleases: 2 });
    const deployments: DeploymentBody[] = [];
    const containers: string[] = [];
    for (const image of [
      FIXTURE_IMAGES.webV1,
      FIXTURE_IMAGES.webV2,
      FIXTURE_IMAGES.webV1,
      FIXTURE_IMAGES.webV2,
    ]) {
      deployments.push(await deployOk('rb-keep', image));
      containers.push((await liveRelease('rb-keep')).containerId);
    }
    const ofApp = await harness.containers('rb-keep');
    const byId = new Map(ofApp.map((c) => [c.id, c.state]));
    expect(byId.size).toBe(3);
    expect(byId.get(containers[3] ?? '')).toBe('running');
    expect(byId.get(containers[2] ?? '')).toBe('exited');
    expect(byId.get(containers[1] ?? '')).toBe('exited');
    expect(byId.has(containers[0] ?? '')).toBe(false);
    const log = await harness.log(deployments[3]?.id ?? '');
    expect(log).toContain(`removed retained release ${deployments[0]?.id ?? ''}`);
    expect(log).toContain('keeping 2 retained release(s) for rollback (retainReleases 2)');
    const rows = await harness.api.db.retainedRelease.findMany({
      where: { workloadRef: { in: containers } },
    });
    expect(rows.map((row) => row.deploymentId).sort()).toEqual(
      [deployments[1]?.id, deployments[2]?.id].sort(),
    );
  });
});

describe('the reconciler and retained releases', () => {
  test('keeps retained containers, removes an unrecorded stopped one, forgets records of vanished ones', async () => {
    await harness.createApp('rb-reconcile');
    const first = await deployOk('rb-reconcile', FIXTURE_IMAGES.webV1);
    const v1 = await liveRelease('rb-reconcile');
    await deployOk('rb-reconcile', FIXTURE_IMAGES.webV2);

    // Negative control: a stopped container of this installation that nothing records.
    const stray = await docker.createContainer({
      Image: FIXTURE_IMAGES.webV1,
      Labels: {
        [labelKeys.managed]: 'true',
        [labelKeys.instance]: harness.instance,
        [labelKeys.app]: 'rb-reconcile',
        [labelKeys.deployment]: first.id,
        [labelKeys.role]: 'web',
      },
    });
    const reconciler = createReconciler({
      store: createRecoveryStore(harness.api.db),
      logs: createLogStore(harness.api.db),
      inventory: createDockerEngine({ instance: harness.instance, network: undefined }).inventory,
      web: createDockerEngine({ instance: harness.instance, network: undefined }).web,
      ensureQueued: () => Promise.resolve(false),
      logger: pino({ level: 'silent' }),
      lostAfterMs: 60_000,
      requeueAfterMs: 60_000,
    });
    const report = await reconciler.reconcile();
    expect(report.orphansRemoved).toBe(1);
    const ids = (await harness.containers('rb-reconcile')).map((c) => c.id);
    expect(ids).toContain(v1.containerId);
    expect(ids).not.toContain(stray.id);

    // The retained container removed outside Slipway: its record goes with the next pass.
    await docker.getContainer(v1.containerId).remove({ force: true, v: true });
    await reconciler.reconcile();
    expect(
      await harness.api.db.retainedRelease.count({ where: { workloadRef: v1.containerId } }),
    ).toBe(0);
    // A rollback to it now creates a container from the image id.
    const back = await rollback('rb-reconcile');
    expect(await harness.log(back.id)).toContain('no retained container of the target release');
  });
});

describe('rollback API errors (problem+json)', () => {
  const problem = async (app: string, body: object | undefined, status: number) => {
    const res = await harness.request('POST', `/v1/apps/${app}/rollback`, body);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    return expectJson(res, status, problemBody);
  };

  test('each refusal has its status and stable code', async () => {
    expect((await problem('rb-no-such-app', undefined, 404)).code).toBe('APP_NOT_FOUND');
    await harness.createApp('rb-errors');
    expect((await problem('rb-errors', undefined, 409)).code).toBe('NOTHING_TO_ROLL_BACK');
    const only = await deployOk('rb-errors', FIXTURE_IMAGES.webV1);
    expect((await problem('rb-errors', {}, 409)).code).toBe('NOTHING_TO_ROLL_BACK');
    expect((await problem('rb-errors', { to: only.id }, 409)).code).toBe('ROLLBACK_TARGET_IS_LIVE');
    const failed = await harness.waitForDeployment(
      (await harness.deploy('rb-errors', `${REGISTRY_IMAGES.webV1}-missing`)).id,
    );
    expect(failed.status).toBe('failed');
    expect((await problem('rb-errors', { to: failed.id }, 422)).code).toBe(
      'ROLLBACK_TARGET_INVALID',
    );
    expect(
      (await problem('rb-errors', { to: '00000000-0000-4000-8000-000000000000' }, 404)).code,
    ).toBe('DEPLOYMENT_NOT_FOUND');
    await harness.createApp('rb-errors-other');
    const other = await deployOk('rb-errors-other', FIXTURE_IMAGES.webV1);
    expect((await problem('rb-errors', { to: other.id }, 404)).code).toBe('DEPLOYMENT_NOT_FOUND');
    expect((await problem('rb-errors', { to: 'not-a-uuid' }, 400)).code).toBe('VALIDATION_FAILED');
    expect((await problem('rb-errors', { image: 'x' }, 400)).code).toBe('VALIDATION_FAILED');
    expect((await problem('rb-errors', { runReleaseCommands: 'yes' }, 400)).code).toBe(
      'VALIDATION_FAILED',
    );
    // Nothing of the refused requests was stored.
    const page = expectJson(
      await harness.request('GET', '/v1/apps/rb-errors/deployments'),
      200,
      z.object({ items: z.array(z.object({ kind: z.string() })) }),
    );
    expect(page.items.map((d) => d.kind)).toEqual(['deploy', 'deploy']);
  });
});
