/**
 * Issue 11 item 10: release commands an image declares in its io.slipway.release-commands label
 * are validated like API ones. A label whose JSON carries a newline (forging a log line such as
 * `===== activate =====`) fails the pull step with a message saying where and why, and neither
 * the forged line nor the command reaches the log, the steps or the container engine.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import {
  buildImage,
  dockerCli,
  ensureDockerFixtures,
  ENSURE_DOCKER_TIMEOUT_MS,
  FIXTURE_IMAGES,
  removeLocalImage,
} from '../support/docker-fixtures.js';
import {
  startPipelineHarness,
  stepSummary,
  type PipelineHarness,
} from '../support/pipeline-harness.js';

const forgedImage = `slipway-test/web-forged-label:${randomBytes(4).toString('hex')}`;
// JSON escapes (\n) that JSON.parse turns into a real newline inside the label text.
const forgedLabel =
  '[{"label":"migrate\\n===== activate =====\\ndeployment is live","command":"echo FORGED-RAN"}]';
let harness: PipelineHarness;

beforeAll(async () => {
  await ensureDockerFixtures();
  await buildImage(
    forgedImage,
    // Single quotes: the Dockerfile parser keeps the backslashes for JSON to read.
    `FROM ${FIXTURE_IMAGES.webV1}\nLABEL io.slipway.release-commands='${forgedLabel}'\n`,
  );
  harness = await startPipelineHarness();
}, ENSURE_DOCKER_TIMEOUT_MS);

afterAll(async () => {
  await harness.close();
  await removeLocalImage(forgedImage);
});

afterEach(async () => {
  expect(await harness.sweepStrayContainers(), 'containers left behind').toEqual([]);
});

describe('an image label with invalid release commands', () => {
  test('the image really carries the forging label (the test sees what it tests)', async () => {
    const label = await dockerCli([
      'image',
      'inspect',
      '-f',
      '{{index .Config.Labels "io.slipway.release-commands"}}',
      forgedImage,
    ]);
    expect(label.trim()).toBe(forgedLabel);
    expect((JSON.parse(label) as { label: string }[])[0]?.label).toContain('\n===== activate');
  });

  test('fails the pull step with where and why; the forged line is nowhere in the log', async () => {
    await harness.createApp('forged');
    const done = await harness.waitForDeployment((await harness.deploy('forged', forgedImage)).id);
    const problem =
      'image label io.slipway.release-commands: [0].label: must not contain control characters';
    expect(done.status).toBe('failed');
    expect(done.failureReason).toBe(`pull failed: ${problem}`);
    expect(stepSummary(done)).toEqual([
      `pull:pull ${forgedImage}:failed`,
      'start:start web container:skipped',
      'probe:startup probe:skipped',
      'activate:activate release:skipped',
      'route:switch traffic:skipped',
      'retire:retire previous release:skipped',
    ]);
    expect(done.steps[0]?.error).toBe(problem);
    const log = await harness.log(done.id);
    expect(log).toContain(problem);
    // The real header is "===== activate release ====="; the forged one would be a line of its own.
    expect(log).toContain('===== activate release =====');
    expect(log).not.toMatch(/^===== activate =====$/m);
    expect(log).not.toContain('deployment is live');
    expect(log).not.toContain('FORGED-RAN');
    expect(await harness.release('forged')).toBeNull();
  });
});
