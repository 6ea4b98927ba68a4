/**
 * Issue 3, the startup probe against real containers: a server that answers late, servers that
 * never answer (deadline and retry-limit variants), one that answers 500, and one that crashes.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import {
  ensureDockerFixtures,
  ENSURE_DOCKER_TIMEOUT_MS,
  FIXTURE_IMAGES,
} from '../support/docker-fixtures.js';
import {
  startPipelineHarness,
  stepSummary,
  type DeploymentBody,
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

function probeStep(deployment: DeploymentBody) {
  const step = deployment.steps.find((s) => s.kind === 'probe');
  if (step === undefined) throw new Error('no probe step');
  return step;
}

/** The probe's failure lines ("attempt 3: refused", "attempts 1-25: refused"). */
function attemptLines(log: string): string[] {
  return log.split('\n').filter((line) => /^attempts? \d+(-\d+)?: /.test(line));
}

/** A failed probe leaves nothing behind and nothing live, and the log says so. */
async function expectCleanFailure(app: string, deployment: DeploymentBody): Promise<string> {
  expect(stepSummary(deployment).slice(-5)).toEqual([
    'start:start web container:succeeded',
    'probe:startup probe:failed',
    'activate:activate release:skipped',
    'route:switch traffic:skipped',
    'retire:retire previous release:skipped',
  ]);
  expect(await harness.containers(app)).toEqual([]);
  expect(await harness.release(app)).toBeNull();
  const log = await harness.log(deployment.id);
  expect(log).toContain('removed 1 container(s) of this deployment');
  return log;
}

describe('the startup probe', () => {
  test('waits for a server that starts listening late, logging failed attempts compactly', async () => {
    await harness.createApp('slow-start', { probe: { startupTimeoutSeconds: 30 } });
    const done = await harness.waitForDeployment(
      (await harness.deploy('slow-start', FIXTURE_IMAGES.webSlow)).id,
    );
    expect(done.status, done.failureReason ?? '').toBe('succeeded');
    const log = await harness.log(done.id);
    const ready = /ready after (\d+) attempt\(s\)/.exec(log);
    const attempts = Number(ready?.[1]);
    // About 3 s at 100 ms: many attempts, summarised in a few lines.
    expect(attempts).toBeGreaterThan(5);
    const lines = attemptLines(log);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.length).toBeLessThan(attempts / 2);
    expect(lines[0]).toMatch(/^attempts 1-\d+: \S+/);
    expect(log).toMatch(new RegExp(`attempt ${attempts}: HTTP 200 after \\d+ ms`));
  });

  test('gives up at startupTimeoutSeconds on a server that accepts but never answers', async () => {
    await harness.createApp('hangs', {
      probe: { startupTimeoutSeconds: 3, probeTimeoutSeconds: 1 },
    });
    const done = await harness.waitForDeployment(
      (await harness.deploy('hangs', FIXTURE_IMAGES.webHang)).id,
      { timeoutMs: 30_000 },
    );
    expect(done.status).toBe('failed');
    expect(done.failureReason).toMatch(/^web container not ready within 3 s \(\d+ attempts\)$/);
    expect(probeStep(done).error).toMatch(/^not ready within 3 s \(\d+ attempts\)$/);
    const log = await expectCleanFailure('hangs', done);
    // Each request was cut at probeTimeoutSeconds.
    expect(attemptLines(log).join('\n')).toContain(': timeout');
  });

  test('gives up after maxRetries attempts on a server that never listens', async () => {
    await harness.createApp('never', {
      probe: { maxRetries: 5, startupTimeoutSeconds: 60 },
    });
    const done = await harness.waitForDeployment(
      (await harness.deploy('never', FIXTURE_IMAGES.webNever)).id,
      { timeoutMs: 30_000 },
    );
    expect(done.status).toBe('failed');
    expect(done.failureReason).toBe('web container not ready after 5 attempts (maxRetries 5)');
    const log = await expectCleanFailure('never', done);
    const lines = attemptLines(log);
    // Five failures, compactly: the last line ends at attempt 5 and no line starts after it.
    expect(lines.at(-1)).toMatch(/^attempts? (\d+-)?5: /);
    expect(lines.length).toBeLessThanOrEqual(5);
  });

  test('counts an HTTP 500 as not ready', async () => {
    await harness.createApp('errors', { probe: { maxRetries: 3 } });
    const done = await harness.waitForDeployment(
      (await harness.deploy('errors', FIXTURE_IMAGES.web500)).id,
      { timeoutMs: 30_000 },
    );
    expect(done.status).toBe('failed');
    expect(done.failureReason).toBe('web container not ready after 3 attempts (maxRetries 3)');
    const log = await expectCleanFailure('errors', done);
    expect(attemptLines(log).at(-1)).toMatch(/HTTP 500$/);
  });

  test('fails at once when the container exits, with its exit code and last log lines', async () => {
    await harness.createApp('crashes', { probe: { startupTimeoutSeconds: 30 } });
    const done = await harness.waitForDeployment(
      (await harness.deploy('crashes', FIXTURE_IMAGES.webCrash)).id,
      { timeoutMs: 30_000 },
    );
    expect(done.status).toBe('failed');
    expect(done.failureReason).toBe('web container exited with code 3 while being probed');
    expect(probeStep(done)).toMatchObject({ exitCode: 3 });
    const log = await expectCleanFailure('crashes', done);
    expect(log).toContain('container exited with code 3; its last 50 log lines:');
    const tail = log.slice(log.indexOf('its last 50 log lines:'));
    for (const line of [
      'slipway-test web-crash starting',
      'slipway-test web-crash: configuration is broken',
      'slipway-test web-crash exiting with code 3',
    ]) {
      expect(tail).toContain(line);
    }
  });
});
