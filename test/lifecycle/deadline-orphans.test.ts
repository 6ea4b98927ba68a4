/**
 * Nothing stays running forever (DEPLOYMENT_TIMEOUT_SECONDS), and the reconciler removes
 * containers of this instance that no live release and no running deployment owns, while
 * leaving live releases and other instances' containers alone.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { dockerCli, FIXTURE_IMAGES, REGISTRY_IMAGES } from '../support/docker-fixtures.js';
import { killLeftoverWorkers } from '../support/worker-process.js';
import {
  createApp,
  deployLive,
  fetchServed,
  instanceContainers,
  instanceLabel,
  recordTiming,
  setReleaseCommands,
  startHarness,
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

const deadlineSeconds = 8;

describe('DEPLOYMENT_TIMEOUT_SECONDS', () => {
  test('a release command that would run for minutes is failed at the deadline', async () => {
    await h.startWorker({ DEPLOYMENT_TIMEOUT_SECONDS: String(deadlineSeconds) });
    const app = await createApp(h, 'deadline-cmd');
    const previous = await deployLive(h, app, REGISTRY_IMAGES.webV1);
    await setReleaseCommands(h, app, [
      { label: 'forever', command: 'echo forever-started; sleep 600', timeoutSeconds: 3600 },
    ]);
    const triggeredAt = Date.now();
    const deployment = await trigger(h, app, REGISTRY_IMAGES.webV2);
    // The deadline plus the time to kill and clean up; far below the command's 600 s.
    const row = await waitForFinished(h.db, deployment.id, deadlineSeconds * 1000 + 30_000);
    recordTiming(
      `deadline ${deadlineSeconds} s, release command sleeping 600 s → row failed (from trigger)`,
      Date.now() - triggeredAt,
    );
    expect(row.status).toBe('failed');
    expect(row.failureReason).toBe(
      `exceeded the deployment deadline of ${deadlineSeconds} s during release command 'forever'`,
    );
    const step = row.steps.find((s) => s.label === 'forever');
    expect([step?.status, step?.error]).toEqual([
      'failed',
      `deployment deadline of ${deadlineSeconds} s exceeded`,
    ]);
    const containers = await instanceContainers(h.instance);
    expect(containers.filter((c) => c.deploymentId === deployment.id)).toEqual([]);
    expect(await fetchServed(previous.hostPort)).toBe('slipway-test web v1');
  }, 120_000);

  test('a startup probe that would wait for minutes is failed at the deadline', async () => {
    await h.startWorker({ DEPLOYMENT_TIMEOUT_SECONDS: String(deadlineSeconds) });
    const app = await createApp(h, 'deadline-probe', {
      probe: { startupTimeoutSeconds: 3600, maxRetries: 100000 },
    });
    const previous = await deployLive(h, app, REGISTRY_IMAGES.webV1);
    const triggeredAt = Date.now();
    const deployment = await trigger(h, app, FIXTURE_IMAGES.webNever);
    const row = await waitForFinished(h.db, deployment.id, deadlineSeconds * 1000 + 30_000);
    recordTiming(
      `deadline ${deadlineSeconds} s, probe waiting 3600 s → row failed (from trigger)`,
      Date.now() - triggeredAt,
    );
    expect(row.status).toBe('failed');
    expect(row.failureReason).toBe(
      `exceeded the deployment deadline of ${deadlineSeconds} s during the startup probe`,
    );
    const containers = await instanceContainers(h.instance);
    expect(containers.filter((c) => c.deploymentId === deployment.id)).toEqual([]);
    expect(await fetchServed(previous.hostPort)).toBe('slipway-test web v1');
  }, 120_000);
});

describe('orphaned containers', () => {
  test('are removed; live releases and other instances are left alone', async () => {
    await h.startWorker();
    const app = await createApp(h, 'orphans');
    const superseded = await deployLive(h, app, REGISTRY_IMAGES.webV1);
    const live = await deployLive(h, app, REGISTRY_IMAGES.webV2);
    const failed = await trigger(h, app, `${REGISTRY_IMAGES.webV1}-missing`);
    expect((await waitForFinished(h.db, failed.id, 60_000)).status).toBe('failed');

    const otherInstance = `lc-other-${randomBytes(4).toString('hex')}`;
    const labels = (instance: string, deploymentId: string, role: string) => [
      '--label',
      'io.slipway.managed=true',
      '--label',
      `${instanceLabel}=${instance}`,
      '--label',
      `io.slipway.deployment=${deploymentId}`,
      '--label',
      `io.slipway.role=${role}`,
    ];
    const foreign = (
      await dockerCli([
        'run',
        '-d',
        ...labels(otherInstance, randomUUID(), 'web'),
        FIXTURE_IMAGES.webV1,
      ])
    ).trim();
    try {
      const orphans = [
        // A deployment PostgreSQL has never heard of (e.g. its database was restored).
        await dockerCli([
          'run',
          '-d',
          ...labels(h.instance, randomUUID(), 'web'),
          FIXTURE_IMAGES.webV1,
        ]),
        // A superseded release whose retirement failed.
        await dockerCli([
          'run',
          '-d',
          ...labels(h.instance, superseded.deploymentId, 'web'),
          FIXTURE_IMAGES.webV1,
        ]),
        // A release command container of a failed deployment, never started.
        await dockerCli([
          'create',
          ...labels(h.instance, failed.id, 'release'),
          FIXTURE_IMAGES.webV1,
        ]),
      ].map((id) => id.trim());
      const createdAt = Date.now();

      const left = await waitFor(
        'the orphans to be removed',
        () => instanceContainers(h.instance),
        (list) => list.every((c) => !orphans.includes(c.id)),
        30_000,
      );
      recordTiming('orphan containers created → removed by the reconciler', Date.now() - createdAt);
      // What is left is exactly the live releases (of this and the other tests' apps) and the
      // previous releases kept stopped for a rollback (retainReleases).
      const releases = [
        ...(await h.db.release.findMany({ select: { workloadRef: true } })),
        ...(await h.db.retainedRelease.findMany({ select: { workloadRef: true } })),
      ];
      expect(left.map((c) => c.id).sort()).toEqual(releases.map((r) => r.workloadRef).sort());
      expect(left.map((c) => c.id)).toContain(live.containerId);
      expect(await fetchServed(live.hostPort)).toBe('slipway-test web v2');
      const foreignLeft = await dockerCli(['ps', '-aq', '--no-trunc', '--filter', `id=${foreign}`]);
      expect(foreignLeft.trim()).toBe(foreign);
    } finally {
      await dockerCli(['rm', '-f', foreign]);
    }
  }, 120_000);
});
