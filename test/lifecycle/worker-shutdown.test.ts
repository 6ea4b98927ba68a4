/**
 * SIGTERM on a worker with a deployment in flight: it takes no new jobs, lets the running step
 * finish (up to WORKER_DRAIN_TIMEOUT_SECONDS), then fails the deployment "worker shut down",
 * removes its containers and exits 0. The previous release is never touched.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { REGISTRY_IMAGES } from '../support/docker-fixtures.js';
import { killLeftoverWorkers } from '../support/worker-process.js';
import {
  createApp,
  deployLive,
  deploymentRow,
  fetchServed,
  instanceContainers,
  recordTiming,
  setReleaseCommands,
  sleep,
  startHarness,
  storedLog,
  trigger,
  waitFor,
  waitForFinished,
  harnessStartTimeoutMs,
  type Harness,
} from './harness.js';

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
}, harnessStartTimeoutMs);

afterEach(() => {
  killLeftoverWorkers();
});

afterAll(async () => {
  await h.close();
});

function waitForLogText(deploymentId: string, text: string) {
  return waitFor(
    `"${text}" in the log`,
    () => storedLog(h.db, deploymentId),
    (log) => log.includes(text),
    30_000,
  );
}

async function expectOnlyPreviousLeft(
  deploymentId: string,
  previous: { deploymentId: string; hostPort: number },
) {
  const containers = await instanceContainers(h.instance);
  expect(containers.filter((c) => c.deploymentId === deploymentId)).toEqual([]);
  expect(containers.filter((c) => c.deploymentId === previous.deploymentId)).toHaveLength(1);
  expect(await fetchServed(previous.hostPort)).toBe('slipway-test web v1');
}

describe('SIGTERM on the worker', () => {
  test('lets the running step finish, skips the rest, fails "worker shut down", exits 0', async () => {
    const worker = await h.startWorker({ WORKER_DRAIN_TIMEOUT_SECONDS: '30' });
    const app = await createApp(h, 'drain');
    const previous = await deployLive(h, app, REGISTRY_IMAGES.webV1);
    await setReleaseCommands(h, app, [
      { label: 'first', command: 'echo first-started; sleep 3; echo first-done' },
      { label: 'second', command: 'echo second-ran' },
    ]);
    const deployment = await trigger(h, app, REGISTRY_IMAGES.webV2);
    await waitForLogText(deployment.id, 'first-started');
    const signalledAt = Date.now();
    const exit = await worker.kill('SIGTERM', 60_000);
    recordTiming('SIGTERM with a 3 s step in flight → worker exited', Date.now() - signalledAt);
    expect(exit, worker.output().slice(-3000)).toEqual({ code: 0, signal: null });

    const row = await deploymentRow(h.db, deployment.id);
    expect(row.status).toBe('failed');
    expect(row.failureReason).toBe("worker shut down before release command 'second'");
    expect(row.steps.map((step) => [step.label, step.status])).toEqual([
      [`pull ${REGISTRY_IMAGES.webV2}`, 'succeeded'],
      ['first', 'succeeded'],
      ['second', 'skipped'],
      ['start web container', 'skipped'],
      ['startup probe', 'skipped'],
      ['activate release', 'skipped'],
      ['switch traffic', 'skipped'],
      ['retire previous release', 'skipped'],
    ]);
    const log = await storedLog(h.db, deployment.id);
    expect(log).toContain('first-done');
    expect(log).not.toContain('second-ran');
    await expectOnlyPreviousLeft(deployment.id, previous);
  }, 120_000);

  test('interrupts a step still running at the drain timeout, cleans up, exits 0', async () => {
    const worker = await h.startWorker({ WORKER_DRAIN_TIMEOUT_SECONDS: '2' });
    const app = await createApp(h, 'drain-timeout');
    const previous = await deployLive(h, app, REGISTRY_IMAGES.webV1);
    await setReleaseCommands(h, app, [{ label: 'long', command: 'echo long-started; sleep 120' }]);
    const deployment = await trigger(h, app, REGISTRY_IMAGES.webV2);
    await waitForLogText(deployment.id, 'long-started');
    const signalledAt = Date.now();
    const exit = await worker.kill('SIGTERM', 60_000);
    recordTiming('SIGTERM with a 120 s step, 2 s drain → worker exited', Date.now() - signalledAt);
    expect(exit, worker.output().slice(-3000)).toEqual({ code: 0, signal: null });

    const row = await deploymentRow(h.db, deployment.id);
    expect(row.status).toBe('failed');
    expect(row.failureReason).toBe("worker shut down during release command 'long'");
    const long = row.steps.find((step) => step.label === 'long');
    expect([long?.status, long?.error]).toEqual(['failed', 'worker shut down']);
    expect(
      row.steps.filter((step) => step.status === 'pending' || step.status === 'running'),
    ).toEqual([]);
    await expectOnlyPreviousLeft(deployment.id, previous);
  }, 120_000);

  test('takes no new jobs once signalled: a deployment queued meanwhile waits for the next worker', async () => {
    const worker = await h.startWorker({ WORKER_DRAIN_TIMEOUT_SECONDS: '30' });
    const app = await createApp(h, 'drain-queue');
    await deployLive(h, app, REGISTRY_IMAGES.webV1);
    await setReleaseCommands(h, app, [{ label: 'wait', command: 'echo wait-started; sleep 3' }]);
    const running = await trigger(h, app, REGISTRY_IMAGES.webV2);
    await waitForLogText(running.id, 'wait-started');
    const exited = worker.kill('SIGTERM', 60_000);
    // Queued while the worker drains: it must not start it.
    await sleep(200);
    const other = await createApp(h, 'drain-other');
    const queued = await trigger(h, other, REGISTRY_IMAGES.webV1);
    expect(await exited).toEqual({ code: 0, signal: null });
    expect((await deploymentRow(h.db, queued.id)).status).toBe('queued');

    await h.startWorker();
    const done = await waitForFinished(h.db, queued.id, 60_000);
    expect(done.status).toBe('succeeded');
  }, 120_000);
});
