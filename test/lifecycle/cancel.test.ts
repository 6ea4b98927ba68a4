/**
 * POST /v1/deployments/{id}/cancel in each phase: queued (cancelled at once, never runs), during a
 * release command and during the startup probe (killed within seconds, rest skipped, new
 * containers removed, previous release untouched), and finished (409).
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { FIXTURE_IMAGES, REGISTRY_IMAGES } from '../support/docker-fixtures.js';
import { killLeftoverWorkers } from '../support/worker-process.js';
import {
  createApp,
  deploymentBody,
  deploymentRow,
  deployLive,
  expectStatus,
  fetchServed,
  instanceContainers,
  recordTiming,
  setReleaseCommands,
  startHarness,
  storedLog,
  trigger,
  waitFor,
  waitForFinished,
  waitForStatus,
  type DeploymentRow,
  harnessStartTimeoutMs,
  type Harness,
} from './harness.js';

/** "Within a few seconds": the wait is bounded here, the observed time is reported. */
const cancelBoundMs = 15_000;

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
  await h.startWorker();
}, harnessStartTimeoutMs);

afterAll(async () => {
  killLeftoverWorkers();
  await h.close();
});

afterEach(async () => {
  // Every test leaves the worker idle: nothing of this file is still running.
  await waitFor(
    'no deployment left running',
    () => h.db.deployment.count({ where: { status: { in: ['queued', 'running'] } } }),
    (count) => count === 0,
    60_000,
  );
});

function cancel(id: string) {
  return h.api(`/v1/deployments/${id}/cancel`, { method: 'POST' });
}

async function cancelRunning(
  deploymentId: string,
  previous: { deploymentId: string; hostPort: number },
  phase: string,
): Promise<DeploymentRow> {
  const requestedAt = Date.now();
  const response = await cancel(deploymentId);
  expectStatus(response, 202);
  expect(deploymentBody.parse(response.json()).status).toBe('running');
  const row = await waitForStatus(
    h.db,
    deploymentId,
    (r) => r.status !== 'running',
    cancelBoundMs,
    'the cancelled deployment to stop',
  );
  recordTiming(`cancel during ${phase} → row ${row.status}`, Date.now() - requestedAt);
  expect(row.status).toBe('cancelled');
  const containers = await instanceContainers(h.instance);
  expect(containers.filter((c) => c.deploymentId === deploymentId)).toEqual([]);
  expect(containers.filter((c) => c.deploymentId === previous.deploymentId)).toHaveLength(1);
  expect(await fetchServed(previous.hostPort)).toBe('slipway-test web v1');
  const release = await h.db.release.findFirstOrThrow({
    where: { deploymentId: previous.deploymentId },
  });
  expect(release.endpoint).toBe(`http://127.0.0.1:${previous.hostPort}`);
  return row;
}

const statusOf = (row: DeploymentRow) => row.steps.map((step) => [step.kind, step.status]);

describe('cancel', () => {
  test('a queued deployment is cancelled at once and never runs', async () => {
    const app = await createApp(h, 'cancel-queued', {
      releaseCommands: [{ label: 'hold', command: 'echo hold-started; sleep 3' }],
    });
    const first = await trigger(h, app, REGISTRY_IMAGES.webV1);
    // Queued behind the first one of its app, which holds it back for a few seconds.
    const second = await trigger(h, app, REGISTRY_IMAGES.webV2);
    const response = await cancel(second.id);
    expectStatus(response, 200);
    const body = deploymentBody.parse(response.json());
    expect(body.status).toBe('cancelled');
    expect(body.failureReason).toBe('cancelled before it started');

    expect((await waitForFinished(h.db, first.id, 60_000)).status).toBe('succeeded');
    const row = await deploymentRow(h.db, second.id);
    expect(row.status).toBe('cancelled');
    expect(row.startedAt).toBeNull();
    expect(row.steps).toEqual([]);
    expect(await storedLog(h.db, second.id)).toBe('');
    const release = await h.db.release.findFirstOrThrow({ where: { deploymentId: first.id } });
    expect(release.deploymentId).toBe(first.id);
  }, 90_000);

  test('during a release command: the command is killed, the rest skipped', async () => {
    const app = await createApp(h, 'cancel-cmd');
    const previous = await deployLive(h, app, REGISTRY_IMAGES.webV1);
    await setReleaseCommands(h, app, [
      { label: 'migrate', command: 'echo migrate-started; sleep 120; echo migrate-finished' },
    ]);
    const deployment = await trigger(h, app, REGISTRY_IMAGES.webV2);
    await waitFor(
      'the release command to start',
      () => storedLog(h.db, deployment.id),
      (log) => log.includes('migrate-started'),
      30_000,
    );
    const row = await cancelRunning(deployment.id, previous, 'a release command');
    expect(row.failureReason).toBe("cancelled during release command 'migrate'");
    expect(statusOf(row)).toEqual([
      ['pull', 'succeeded'],
      ['release_command', 'cancelled'],
      ['start', 'skipped'],
      ['probe', 'skipped'],
      ['activate', 'skipped'],
      ['route', 'skipped'],
      ['retire', 'skipped'],
    ]);
    const log = await storedLog(h.db, deployment.id);
    expect(log).toMatch(/^migrate-started$/m);
    expect(log).not.toMatch(/^migrate-finished$/m);
  }, 90_000);

  test('during the startup probe: the new web container is removed', async () => {
    const app = await createApp(h, 'cancel-probe', {
      probe: { startupTimeoutSeconds: 600, maxRetries: 100000 },
    });
    const previous = await deployLive(h, app, REGISTRY_IMAGES.webV1);
    const deployment = await trigger(h, app, FIXTURE_IMAGES.webNever);
    await waitForStatus(
      h.db,
      deployment.id,
      (r) => r.steps.some((step) => step.kind === 'probe' && step.status === 'running'),
      30_000,
      'the probe to start',
    );
    const row = await cancelRunning(deployment.id, previous, 'the startup probe');
    expect(row.failureReason).toBe('cancelled during the startup probe');
    expect(statusOf(row)).toEqual([
      ['pull', 'succeeded'],
      ['start', 'succeeded'],
      ['probe', 'cancelled'],
      ['activate', 'skipped'],
      ['route', 'skipped'],
      ['retire', 'skipped'],
    ]);
  }, 90_000);

  test('a finished deployment answers 409 and stays as it was', async () => {
    const app = await createApp(h, 'cancel-done');
    const live = await deployLive(h, app, REGISTRY_IMAGES.webV1);
    const response = await cancel(live.deploymentId);
    expectStatus(response, 409);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect((await deploymentRow(h.db, live.deploymentId)).status).toBe('succeeded');
    expect(await fetchServed(live.hostPort)).toBe('slipway-test web v1');
  }, 90_000);
});
