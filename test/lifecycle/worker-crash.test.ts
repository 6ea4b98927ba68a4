/**
 * A worker SIGKILLed in the middle of a deployment: once a worker runs again, the deployment is
 * failed as "worker lost during …" (within the 30 s), its containers are removed, its
 * release command is not run again, and the previous release keeps serving.
 */
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { REGISTRY_IMAGES, FIXTURE_IMAGES } from '../support/docker-fixtures.js';
import { killLeftoverWorkers } from '../support/worker-process.js';
import {
  createApp,
  setReleaseCommands,
  type DeploymentRow,
  deployLive,
  deploymentRow,
  fetchServed,
  instanceContainers,
  recordTiming,
  startHarness,
  storedLog,
  trigger,
  waitFor,
  waitForStatus,
  harnessStartTimeoutMs,
  type Harness,
} from './harness.js';

/** The bound: a lost deployment ends within 30 s once a worker runs again. */
const lostBoundMs = 30_000;

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

/**
 * Starts a worker, deploys v1 as the previous release, gives the app `commands`, triggers
 * `image` and SIGKILLs the worker once `reached` holds for the new deployment.
 */
async function crashDuring(options: {
  app: string;
  image: string;
  commands?: { label: string; command: string }[];
  reached: (row: DeploymentRow) => boolean;
  /** Text the stored log must contain before the kill (proof that the step really ran). */
  logged?: string;
}) {
  const worker = await h.startWorker();
  const previous = await deployLive(h, options.app, REGISTRY_IMAGES.webV1);
  await setReleaseCommands(h, options.app, options.commands ?? []);
  const deployment = await trigger(h, options.app, options.image);
  await waitForStatus(h.db, deployment.id, options.reached, 60_000, 'the step to crash in');
  const logged = options.logged;
  if (logged !== undefined) {
    await waitFor(
      `"${logged}" in the log`,
      () => storedLog(h.db, deployment.id),
      (log) => log.includes(logged),
      30_000,
    );
  }
  const killedAt = Date.now();
  const exit = await worker.kill('SIGKILL');
  expect(exit.signal).toBe('SIGKILL');
  return { previous, deploymentId: deployment.id, killedAt };
}

/** Restarts a worker and waits (within the bound) for the lost deployment to end. */
async function recover(deploymentId: string, killedAt: number, fault: string) {
  const restartedAt = Date.now();
  await h.startWorker();
  const row = await waitForStatus(
    h.db,
    deploymentId,
    (r) => r.status !== 'running',
    lostBoundMs,
    'the lost deployment to end',
  );
  const now = Date.now();
  recordTiming(`${fault} → row ${row.status} (from SIGKILL)`, now - killedAt);
  recordTiming(`${fault} → row ${row.status} (from worker restart)`, now - restartedAt);
  return row;
}

async function expectCleanedUp(
  deploymentId: string,
  previous: { deploymentId: string; hostPort: number },
) {
  // Of this app's deployments, only the previous release's web container is left.
  const containers = await waitFor(
    'the lost deployment containers to be removed',
    () => instanceContainers(h.instance),
    (list) => list.every((c) => c.deploymentId !== deploymentId),
    lostBoundMs,
  );
  expect(containers.filter((c) => c.deploymentId === previous.deploymentId)).toHaveLength(1);
  expect(await fetchServed(previous.hostPort)).toBe('slipway-test web v1');
  const release = await h.db.release.findFirst({ where: { deploymentId: previous.deploymentId } });
  expect(release).not.toBeNull();
}

/** Delivers the deployment's job again, as BullMQ does once a dead worker's lock expires. */
async function redeliver(deploymentId: string): Promise<unknown> {
  const redis = new Redis(h.redisUrl, { maxRetriesPerRequest: null });
  const queue = new Queue('deployments', { connection: redis, prefix: h.queuePrefix });
  try {
    const job = await queue.add('deploy', { deploymentId }, { jobId: `redeliver-${deploymentId}` });
    await waitFor(
      'the redelivered job to finish',
      () => job.getState(),
      (state) => state === 'completed' || state === 'failed',
      30_000,
    );
    return (await queue.getJob(job.id ?? ''))?.returnvalue;
  } finally {
    await queue.close();
    redis.disconnect();
  }
}

const stepStatuses = (row: DeploymentRow, kinds: string[]) =>
  row.steps.filter((step) => kinds.includes(step.kind)).map((step) => step.status);

describe('worker SIGKILLed', () => {
  test('during a release command: failed as lost, not re-run, previous release serves', async () => {
    const app = await createApp(h, 'crash-cmd');
    const { previous, deploymentId, killedAt } = await crashDuring({
      app,
      image: REGISTRY_IMAGES.webV2,
      commands: [{ label: 'migrate', command: 'echo migrate-started; sleep 120' }],
      logged: 'migrate-started',
      reached: (row) =>
        row.steps.some((step) => step.kind === 'release_command' && step.status === 'running'),
    });
    const row = await recover(deploymentId, killedAt, 'SIGKILL during release command');
    expect(row.status).toBe('failed');
    expect(row.failureReason).toBe("worker lost during release command 'migrate'");
    const migrate = row.steps.filter((step) => step.kind === 'release_command');
    expect(migrate.map((step) => [step.status, step.error])).toEqual([['failed', 'worker lost']]);
    expect(stepStatuses(row, ['start', 'probe', 'activate'])).toEqual([
      'skipped',
      'skipped',
      'skipped',
    ]);
    await expectCleanedUp(deploymentId, previous);
    recordTiming(
      'SIGKILL during release command → containers removed (from SIGKILL)',
      Date.now() - killedAt,
    );

    expect(await redeliver(deploymentId)).toBe('skipped');
    const after = await deploymentRow(h.db, deploymentId);
    expect(after.status).toBe('failed');
    expect(after.steps.filter((step) => step.kind === 'release_command')).toHaveLength(1);
    const log = await storedLog(h.db, deploymentId);
    expect(log.match(/migrate-started/g)).toHaveLength(1);
    expect(log).toMatch(/worker lost during release command 'migrate'/);
  }, 150_000);

  test('during the startup probe: failed as lost, new web container removed', async () => {
    const app = await createApp(h, 'crash-probe', {
      probe: { startupTimeoutSeconds: 300, maxRetries: 100000 },
    });
    const { previous, deploymentId, killedAt } = await crashDuring({
      app,
      image: FIXTURE_IMAGES.webNever,
      reached: (row) =>
        row.steps.some((step) => step.kind === 'probe' && step.status === 'running'),
    });
    // The new web container exists (unprobed) when the worker dies.
    const before = await instanceContainers(h.instance);
    expect(before.some((c) => c.deploymentId === deploymentId && c.role === 'web')).toBe(true);
    const row = await recover(deploymentId, killedAt, 'SIGKILL during startup probe');
    expect(row.status).toBe('failed');
    expect(row.failureReason).toBe('worker lost during step startup probe');
    expect(stepStatuses(row, ['pull', 'start', 'probe', 'activate'])).toEqual([
      'succeeded',
      'succeeded',
      'failed',
      'skipped',
    ]);
    await expectCleanedUp(deploymentId, previous);
    recordTiming(
      'SIGKILL during startup probe → containers removed (from SIGKILL)',
      Date.now() - killedAt,
    );
    const release = await h.db.release.findFirstOrThrow({
      where: { deploymentId: previous.deploymentId },
    });
    expect(release.deploymentId).toBe(previous.deploymentId);
  }, 150_000);
});
