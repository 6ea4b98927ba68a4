/**
 * Issue 3, release commands against the real engine: they run one by one in fresh, labelled
 * containers from the new image (image-declared ones first), their output lands in the log under
 * their labels, and a failure or timeout stops the pipeline with the previous release serving.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import {
  ensureDockerFixtures,
  ENSURE_DOCKER_TIMEOUT_MS,
  FIXTURE_IMAGES,
} from '../support/docker-fixtures.js';
import {
  httpGet,
  startPipelineHarness,
  stepSummary,
  type HarnessContainer,
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

describe('release commands', () => {
  test('run in order, each in its own container, with their output under their labels', async () => {
    await harness.createApp('ordered', {
      releaseCommands: [
        { label: 'migrate', command: 'echo "migrate ran for $SLIPWAY_APP"' },
        { label: 'warm cache', command: 'echo "cache warmed on stderr" >&2' },
      ],
    });
    const done = await harness.waitForDeployment(
      (await harness.deploy('ordered', FIXTURE_IMAGES.webV1)).id,
    );
    expect(done.status, done.failureReason ?? '').toBe('succeeded');
    expect(stepSummary(done)).toEqual([
      `pull:pull ${FIXTURE_IMAGES.webV1}:succeeded`,
      'release_command:migrate:succeeded',
      'release_command:warm cache:succeeded',
      'start:start web container:succeeded',
      'probe:startup probe:succeeded',
      'activate:activate release:succeeded',
      'route:switch traffic:succeeded',
      'retire:retire previous release:succeeded',
    ]);
    const [migrate, warm] = done.steps.filter((step) => step.kind === 'release_command');
    if (migrate === undefined || warm === undefined) throw new Error('missing steps');
    expect(migrate).toMatchObject({ source: 'app', exitCode: 0, error: null });
    expect(warm).toMatchObject({ source: 'app', exitCode: 0, error: null });
    // One by one: the second starts only after the first finished.
    expect(Date.parse(warm.startedAt ?? '')).toBeGreaterThanOrEqual(
      Date.parse(migrate.finishedAt ?? ''),
    );

    const log = await harness.log(done.id);
    expect(log).toContain('===== docker release commands =====');
    const migrateHeader = log.indexOf(
      '----- migrate (from app): echo "migrate ran for $SLIPWAY_APP" -----',
    );
    const migrateOutput = log.indexOf('migrate ran for ordered\n');
    const warmHeader = log.indexOf(
      '----- warm cache (from app): echo "cache warmed on stderr" >&2 -----',
    );
    const warmOutput = log.indexOf('cache warmed on stderr\n');
    expect(migrateHeader).toBeGreaterThan(-1);
    expect(migrateOutput).toBeGreaterThan(migrateHeader);
    expect(warmHeader).toBeGreaterThan(migrateOutput);
    expect(warmOutput).toBeGreaterThan(warmHeader);
    expect(log).toContain('----- migrate: succeeded (exit code 0)');
  });

  test('run in containers labelled with app, deployment and step, removed afterwards', async () => {
    await harness.createApp('labelled', {
      releaseCommands: [{ label: 'slow', command: 'echo started; sleep 3' }],
    });
    const queued = await harness.deploy('labelled', FIXTURE_IMAGES.webV1);

    // Bounded: the command container must show up while it sleeps.
    let seen: HarnessContainer | undefined;
    const deadline = Date.now() + 20_000;
    while (seen === undefined && Date.now() < deadline) {
      seen = (await harness.containers('labelled')).find((c) => c.role === 'release');
      if (seen === undefined) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    if (seen === undefined) throw new Error('no release command container was ever seen');

    const done = await harness.waitForDeployment(queued.id);
    expect(done.status, done.failureReason ?? '').toBe('succeeded');
    const step = done.steps.find((s) => s.kind === 'release_command');
    expect(seen).toMatchObject({
      app: 'labelled',
      deployment: queued.id,
      step: step?.id,
      labels: expect.objectContaining({ 'io.slipway.managed': 'true' }) as unknown,
    });
    expect((await harness.containers('labelled')).map((c) => c.role)).toEqual(['web']);
  });

  test('declared by the image run first, marked as coming from the image', async () => {
    await harness.createApp('declared', {
      releaseCommands: [{ label: 'app migrate', command: 'echo app-command-output' }],
    });
    const done = await harness.waitForDeployment(
      (await harness.deploy('declared', FIXTURE_IMAGES.webWithReleaseLabel)).id,
    );
    expect(done.status, done.failureReason ?? '').toBe('succeeded');
    expect(
      done.steps.map((step) => [step.kind, step.label, step.source, step.position, step.status]),
    ).toEqual([
      ['pull', `pull ${FIXTURE_IMAGES.webWithReleaseLabel}`, null, 0, 'succeeded'],
      ['release_command', 'image migrate', 'image', 1, 'succeeded'],
      ['release_command', 'app migrate', 'app', 2, 'succeeded'],
      ['start', 'start web container', null, 3, 'succeeded'],
      ['probe', 'startup probe', null, 4, 'succeeded'],
      ['activate', 'activate release', null, 5, 'succeeded'],
      ['route', 'switch traffic', null, 6, 'succeeded'],
      ['retire', 'retire previous release', null, 7, 'succeeded'],
    ]);
    const log = await harness.log(done.id);
    const imageOutput = log.indexOf('image-declared-migration\n');
    expect(imageOutput).toBeGreaterThan(
      log.indexOf('----- image migrate (from image): echo image-declared-migration -----'),
    );
    expect(log.indexOf('app-command-output\n')).toBeGreaterThan(imageOutput);
  });

  test('a failing command stops the pipeline; the previous release keeps serving', async () => {
    await harness.createApp('fails');
    const first = await harness.waitForDeployment(
      (await harness.deploy('fails', FIXTURE_IMAGES.webV1)).id,
    );
    expect(first.status, first.failureReason ?? '').toBe('succeeded');
    const live = await harness.release('fails');
    if (live === null) throw new Error('no release');

    for (const command of [
      { label: 'ok', command: 'echo first-command-ran' },
      { label: 'broken', command: 'echo about to fail; exit 7' },
      { label: 'never', command: 'echo must-not-run' },
    ]) {
      expect(
        (await harness.request('POST', '/v1/apps/fails/release-commands', command)).statusCode,
      ).toBe(201);
    }
    const failed = await harness.waitForDeployment(
      (await harness.deploy('fails', FIXTURE_IMAGES.webV2)).id,
    );
    expect(failed.status).toBe('failed');
    expect(failed.failureReason).toBe("release command 'broken' exited with code 7");
    expect(stepSummary(failed)).toEqual([
      `pull:pull ${FIXTURE_IMAGES.webV2}:succeeded`,
      'release_command:ok:succeeded',
      'release_command:broken:failed',
      'release_command:never:skipped',
      'start:start web container:skipped',
      'probe:startup probe:skipped',
      'activate:activate release:skipped',
      'route:switch traffic:skipped',
      'retire:retire previous release:skipped',
    ]);
    expect(failed.steps[2]).toMatchObject({ exitCode: 7, error: 'exited with code 7' });
    for (const skipped of failed.steps.slice(3)) {
      expect(skipped.startedAt).toBeNull();
    }

    // The old release still answers, and is still the release.
    expect(await httpGet(live.hostPort)).toEqual({ status: 200, body: 'slipway-test web v1\n' });
    expect((await harness.release('fails'))?.deploymentId).toBe(first.id);
    expect((await harness.containers('fails')).map((c) => c.id)).toEqual([live.containerId]);

    const log = await harness.log(failed.id);
    expect(log).toContain('first-command-ran');
    expect(log).toContain('about to fail\nexited with code 7\n');
    expect(log).toContain('----- broken: failed (exit code 7)');
    expect(log).not.toContain('must-not-run\n');
    expect(log).toContain(
      `previous release ${first.id} (container ${live.containerId.slice(0, 12)}) left running untouched`,
    );
    expect(log).toContain('===== deployment failed in ');
    expect(log).toMatch(/: release command 'broken' exited with code 7 =====\n$/);
  });

  test('a command running past its timeout is killed and fails the deployment', async () => {
    await harness.createApp('too-slow', {
      releaseCommands: [
        { label: 'hangs', command: 'echo hanging now; sleep 600', timeoutSeconds: 2 },
      ],
    });
    const done = await harness.waitForDeployment(
      (await harness.deploy('too-slow', FIXTURE_IMAGES.webV1)).id,
      { timeoutMs: 30_000 },
    );
    expect(done.status).toBe('failed');
    expect(done.failureReason).toBe("release command 'hangs' timed out after 2 s");
    expect(stepSummary(done).slice(1)).toEqual([
      'release_command:hangs:failed',
      'start:start web container:skipped',
      'probe:startup probe:skipped',
      'activate:activate release:skipped',
      'route:switch traffic:skipped',
      'retire:retire previous release:skipped',
    ]);
    expect(done.steps[1]).toMatchObject({ error: 'timed out after 2 s', exitCode: null });
    const log = await harness.log(done.id);
    expect(log).toContain('hanging now\ntimed out after 2 s\n');
    expect(log).toContain('no previous release: the application has nothing live');
    // The afterEach proves the killed container was removed as well.
    expect(await harness.containers('too-slow')).toEqual([]);
  });
});
