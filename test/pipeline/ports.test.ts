/**
 * Issue 3, the web port against the real engine: the app setting wins, else the image's first
 * EXPOSEd TCP port, else the deployment fails before it starts any container.
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

describe('the web port', () => {
  test("comes from the image's EXPOSE when the app sets none", async () => {
    await harness.createApp('exposed', { probe: { path: '/healthz' } });
    const done = await harness.waitForDeployment(
      (await harness.deploy('exposed', FIXTURE_IMAGES.webPort9090)).id,
    );
    expect(done.status, done.failureReason ?? '').toBe('succeeded');
    const release = await harness.release('exposed');
    expect(release?.containerPort).toBe(9090);
    if (release === null) throw new Error('no release');
    expect(await httpGet(release.hostPort)).toEqual({
      status: 200,
      body: 'slipway-test web port-9090\n',
    });
    const log = await harness.log(done.id);
    expect(log).toContain('web port 9090 (from image EXPOSE)');
    expect(log).toContain(`probing http://127.0.0.1:${release.hostPort}/healthz every 100 ms`);
  });

  test('comes from the app settings when set, for an image that EXPOSEs nothing', async () => {
    await harness.createApp('configured', { port: 8080 });
    const done = await harness.waitForDeployment(
      (await harness.deploy('configured', FIXTURE_IMAGES.webNoExpose)).id,
    );
    expect(done.status, done.failureReason ?? '').toBe('succeeded');
    const release = await harness.release('configured');
    expect(release?.containerPort).toBe(8080);
    if (release === null) throw new Error('no release');
    expect((await httpGet(release.hostPort))?.body).toBe('slipway-test web noexpose\n');
    expect(await harness.log(done.id)).toContain('web port 8080 (from app settings)');
    // The container is told its port.
    expect((await httpGet(release.hostPort, '/cgi-bin/env'))?.body).toContain('PORT=8080\n');
  });

  test('missing everywhere fails the deployment before any container starts', async () => {
    await harness.createApp('portless', {
      releaseCommands: [{ label: 'migrate', command: 'echo migration-must-not-run' }],
    });
    const queued = await harness.deploy('portless', FIXTURE_IMAGES.webNoExpose);
    const done = await harness.waitForDeployment(queued.id);
    expect(done.status).toBe('failed');
    expect(done.failureReason).toMatch(/^no web port: .*EXPOSEs no TCP port/);
    // Nothing ran: not the release command (it would have touched the database), not the web server.
    expect(done.steps.find((step) => step.kind === 'release_command')?.status).toBe('skipped');
    expect(done.steps.find((step) => step.kind === 'start')).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(/^no web port/) as unknown,
    });
    expect(
      stepSummary(done).filter((s) => s.startsWith('probe') || s.startsWith('activate')),
    ).toEqual(['probe:startup probe:skipped', 'activate:activate release:skipped']);
    const log = await harness.log(done.id);
    expect(log.split('\n')).not.toContain('migration-must-not-run');
    expect(log).toContain('----- migrate: skipped -----');
    expect(log).toContain('no containers to clean up');
    expect(await harness.containers('portless')).toEqual([]);
  });
});
