/**
 * Redis is not trusted: flushed, or restarted without persistence, it forgets every job. The
 * reconciler re-enqueues what PostgreSQL still has queued; each deployment then runs exactly
 * once. A row whose job never reached Redis (the API died in between) is picked up the same way.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { REGISTRY_IMAGES } from '../support/docker-fixtures.js';
import { killLeftoverWorkers, type WorkerLogRecord } from '../support/worker-process.js';
import {
  createApp,
  deploymentRow,
  recordTiming,
  startHarness,
  storedLog,
  trigger,
  waitFor,
  waitForFinished,
  waitForStatus,
  harnessStartTimeoutMs,
  type Harness,
} from './harness.js';

let h: Harness;

/** This file flushes and restarts Redis: it has a redis-server of its own. */
function dedicatedRedis() {
  if (h.redis === null) throw new Error('this file needs its own redis-server');
  return h.redis;
}

beforeAll(async () => {
  h = await startHarness({ dedicatedRedis: true });
}, harnessStartTimeoutMs);

afterEach(() => {
  killLeftoverWorkers();
});

afterAll(async () => {
  await h.close();
});

/**
 * Three deployments of one app: the first runs a release command for a few seconds, the other
 * two wait behind it (their jobs are parked in Redis). `fault` hits while the first runs.
 */
async function loseJobsWhileRunning(fault: () => Promise<void>, name: string) {
  const worker = await h.startWorker();
  const app = await createApp(h, name, {
    releaseCommands: [
      { label: 'mark', command: 'echo "ran $SLIPWAY_DEPLOYMENT_ID"; echo mark-started; sleep 3' },
    ],
  });
  const first = await trigger(h, app, REGISTRY_IMAGES.webV1);
  const second = await trigger(h, app, REGISTRY_IMAGES.webV2);
  const third = await trigger(h, app, REGISTRY_IMAGES.webV1);
  await waitFor(
    'the first release command to run',
    () => storedLog(h.db, first.id),
    (log) => log.includes('mark-started'),
    30_000,
  );
  const faultAt = Date.now();
  await fault();

  const secondRunning = await waitForStatus(
    h.db,
    second.id,
    (row) => row.status !== 'queued',
    60_000,
    'the second deployment to be picked up again',
  );
  recordTiming(`${name}: fault → the next queued deployment running`, Date.now() - faultAt);
  expect(secondRunning.status).not.toBe('failed');
  for (const deployment of [first, second, third]) {
    const row = await waitForFinished(h.db, deployment.id, 60_000);
    expect(row.status, row.failureReason ?? '').toBe('succeeded');
  }
  recordTiming(`${name}: fault → all three deployments succeeded`, Date.now() - faultAt);

  // Each ran once: one release command step each, its output once in its own log.
  for (const deployment of [first, second, third]) {
    const row = await deploymentRow(h.db, deployment.id);
    expect(row.steps.filter((step) => step.kind === 'release_command')).toHaveLength(1);
    const log = await storedLog(h.db, deployment.id);
    expect(log.split('\n').filter((line) => line === `ran ${deployment.id}`)).toHaveLength(1);
  }
  const release = await h.db.release.findFirstOrThrow({ where: { deploymentId: third.id } });
  expect(release.deploymentId).toBe(third.id);
  return { worker, first };
}

/** The worker's log lines about BullMQ losing a job's lock or key (issue 11 item 21). */
function queueRecoveryLines(records: WorkerLogRecord[]): WorkerLogRecord[] {
  return records.filter((record) =>
    /could not renew lock|Missing (key|lock) for job/.test(JSON.stringify(record)),
  );
}

describe('Redis faults', () => {
  test('FLUSHALL while deployments are queued: re-enqueued from PostgreSQL, each runs once', async () => {
    await loseJobsWhileRunning(() => dedicatedRedis().flushAll(), 'redis-flush');
  }, 150_000);

  test('Redis restarted without persistence: re-enqueued from PostgreSQL, each runs once', async () => {
    const { worker, first } = await loseJobsWhileRunning(
      () => dedicatedRedis().restart(),
      'redis-restart',
    );
    // The running job's key vanished with the restart: BullMQ reports it when the job finishes.
    // That is an expected recovery: one warn line per event saying what happened, no error.
    const recoveries = queueRecoveryLines(worker.records());
    expect(recoveries.length, worker.output().slice(-4000)).toBeGreaterThan(0);
    expect(recoveries.filter((record) => record.level >= 50)).toEqual([]);
    const ofFirst = recoveries.filter(
      (record) => record.level === 40 && record.deploymentId === first.id,
    );
    expect(ofFirst.map((record) => record.msg)).toContainEqual(
      'queue job of a deployment was gone from Redis at moveToFinished (Redis restarted or lost its data); its outcome is in PostgreSQL, and the reconciler re-enqueues what is still queued',
    );
  }, 150_000);

  test('a queued row whose job never reached the queue is picked up by the reconciler', async () => {
    await h.startWorker();
    // An API writing to a queue no worker reads: the row is stored, its job is as good as lost,
    // as when the API dies between the INSERT and the enqueue.
    const lostQueueApi = await h.startApi({ queuePrefix: 'lost-on-the-way' });
    const app = await createApp(h, 'no-job');
    const deployment = await trigger(h, app, REGISTRY_IMAGES.webV1, {
      baseUrl: lostQueueApi.baseUrl,
    });
    const triggeredAt = Date.now();
    const row = await waitForFinished(h.db, deployment.id, 60_000);
    recordTiming('row without a job → succeeded (from trigger)', Date.now() - triggeredAt);
    expect(row.status).toBe('succeeded');
  }, 120_000);
});
