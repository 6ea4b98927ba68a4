/**
 * Issue 11 item 20: a live release whose container is stopped or removed outside Slipway. The
 * reconciler notices within its interval, starts a stopped one again, reports a missing one
 * (GET /v1/apps/{app}/release shows the health), and the next deployment does not claim to have
 * retired what was already gone.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { z } from 'zod';
import { dockerCli, FIXTURE_IMAGES } from '../support/docker-fixtures.js';
import { killLeftoverWorkers, type WorkerProcess } from '../support/worker-process.js';
import {
  createApp,
  deployLive,
  expectStatus,
  fetchServed,
  harnessStartTimeoutMs,
  instanceContainers,
  startHarness,
  storedLog,
  waitFor,
  type Harness,
} from './harness.js';

let h: Harness;
let worker: WorkerProcess;

beforeAll(async () => {
  h = await startHarness();
  worker = await h.startWorker();
}, harnessStartTimeoutMs);

afterAll(async () => {
  killLeftoverWorkers();
  await h.close();
});

const releaseHealth = z
  .object({
    health: z.enum(['running', 'exited', 'missing']),
    healthCheckedAt: z.string().nullable(),
  })
  .loose();

async function health(app: string) {
  const response = await h.api(`/v1/apps/${app}/release`);
  return releaseHealth.parse(response.json());
}

async function containerRunning(id: string): Promise<boolean> {
  return (await dockerCli(['inspect', '-f', '{{.State.Running}}', id])).trim() === 'true';
}

describe('the health of a live release', () => {
  test('a release container stopped outside Slipway is started again by the reconciler', async () => {
    const app = await createApp(h, 'stopped');
    const live = await deployLive(h, app, FIXTURE_IMAGES.webV1);
    expect((await health(app)).health).toBe('running');
    // `docker stop` marks it stopped by hand: the restart policy alone never brings it back.
    // Not checked as stopped here: the reconciler (1 s interval) may have started it already.
    await dockerCli(['stop', '-t', '1', live.containerId]);
    await worker.waitForLog(
      (record) => record.msg.includes('had stopped; starting it again'),
      15_000,
    );
    await waitFor(
      'the container running again',
      () => containerRunning(live.containerId),
      Boolean,
      15_000,
    );
    // On its old address: its port binding is fixed, so whatever routes to it still reaches it.
    const served = await waitFor(
      'the release serving again',
      () => fetchServed(live.hostPort),
      (text) => text === 'slipway-test web v1',
      15_000,
    );
    expect(served).toBe('slipway-test web v1');
    const after = await waitFor(
      'the health checked',
      () => health(app),
      (body) => body.healthCheckedAt !== null && body.health === 'running',
      15_000,
    );
    expect(after.health).toBe('running');
  }, 90_000);

  test('one replica of a live 3-replica set stopped outside Slipway is started again', async () => {
    const app = await createApp(h, 'trio');
    expectStatus(
      await h.api(`/v1/apps/${app}/settings/web-container`, {
        method: 'PATCH',
        body: { replicas: 3 },
      }),
      200,
    );
    const live = await deployLive(h, app, FIXTURE_IMAGES.webV1);
    const members = (await instanceContainers(h.instance)).filter(
      (c) => c.deploymentId === live.deploymentId,
    );
    expect(members.map((c) => c.state)).toEqual(['running', 'running', 'running']);
    const [, second] = members;
    if (second === undefined) throw new Error('no second replica');
    await dockerCli(['stop', '-t', '1', second.id]);
    await worker.waitForLog(
      (record) => record.msg.includes('3 containers') && record.msg.includes('had stopped'),
      15_000,
    );
    await waitFor('replica 2 running again', () => containerRunning(second.id), Boolean, 15_000);
    const after = await waitFor(
      'the health checked after the revival',
      () => health(app),
      (body) => body.healthCheckedAt !== null && body.health === 'running',
      15_000,
    );
    expect(after.health).toBe('running');
    // Each of those reconcile passes swept orphans first: none took the live set's members for one.
    const still = (await instanceContainers(h.instance)).filter(
      (c) => c.deploymentId === live.deploymentId,
    );
    expect(still.map((c) => c.id).sort()).toEqual(members.map((c) => c.id).sort());
    expect(still.every((c) => c.state === 'running')).toBe(true);
  }, 90_000);

  test('a release container removed outside Slipway is reported missing; the next deploy says so', async () => {
    const app = await createApp(h, 'removed');
    const live = await deployLive(h, app, FIXTURE_IMAGES.webV1);
    await dockerCli(['rm', '-f', live.containerId]);
    const reported = await waitFor(
      'health missing',
      () => health(app),
      (body) => body.health === 'missing',
      15_000,
    );
    expect(reported.healthCheckedAt).not.toBeNull();
    await worker.waitForLog((record) => record.msg.includes('is gone'), 5_000);

    const next = await deployLive(h, app, FIXTURE_IMAGES.webV2);
    const log = await storedLog(h.db, next.deploymentId);
    expect(log).toContain(
      `previous release ${live.deploymentId} (container ${live.containerId.slice(0, 12)}) was already gone`,
    );
    expect(log).not.toContain('retired previous release');
    expect((await health(app)).health).toBe('running');
  }, 90_000);
});
