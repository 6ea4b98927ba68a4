/**
 * Issue 11 items 2 and 3: the worker's start-up is all or nothing (a taken metrics port, a bad
 * configuration or an unreachable database ends it with exit code 1 before it takes any job),
 * and two installations on one Docker host never touch each other's containers.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadInstallationId } from '../../src/db/installation-repository.js';
import { createDatabase } from '../../src/db/prisma-client.js';
import {
  dockerCli,
  FIXTURE_IMAGES,
  removeContainersWithLabel,
} from '../support/docker-fixtures.js';
import { createTestDatabase } from '../support/test-database.js';
import {
  killLeftoverWorkers,
  startWorkerProcess,
  type WorkerExit,
} from '../support/worker-process.js';
import {
  createApp,
  deploymentRow,
  deployLive,
  harnessStartTimeoutMs,
  instanceContainers,
  instanceLabel,
  sleep,
  startHarness,
  trigger,
  waitFor,
  type Harness,
} from './harness.js';

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
}, harnessStartTimeoutMs);

afterAll(async () => {
  killLeftoverWorkers();
  await h.close();
});

/** The exit, or 'still running' after `ms` (bounded waiting; the time itself is not asserted). */
async function exitWithin(
  exited: Promise<WorkerExit>,
  ms: number,
): Promise<WorkerExit | 'still running'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'still running'>((resolve) => {
    timer = setTimeout(() => {
      resolve('still running');
    }, ms);
  });
  return Promise.race([exited, timeout]).finally(() => {
    clearTimeout(timer);
  });
}

async function listening(): Promise<{ server: Server; port: number }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('not listening');
  return { server, port: address.port };
}

describe('worker start-up', () => {
  test('a taken metrics port: exit 1, and no job was taken meanwhile', async () => {
    const app = await createApp(h, 'startup');
    const queued = await trigger(h, app, FIXTURE_IMAGES.webV1);
    const { server, port } = await listening();
    try {
      const worker = await h.startWorker(
        { WORKER_METRICS_PORT: String(port), WORKER_METRICS_HOST: '127.0.0.1' },
        { waitUntilStarted: false },
      );
      expect(await exitWithin(worker.exited, 20_000)).toEqual({ code: 1, signal: null });
      expect(worker.output()).toContain('EADDRINUSE');
      // Given time to misbehave, the deployment is still untouched.
      await sleep(500);
      expect((await deploymentRow(h.db, queued.id)).status).toBe('queued');
    } finally {
      server.close();
    }
    // Negative control: a worker that can start takes it.
    const worker = await h.startWorker();
    const row = await waitUntilFinished(queued.id);
    expect(row).toBe('succeeded');
    await worker.kill('SIGTERM');
  }, 90_000);

  test('a bad configuration: exit 1 with a readable message', async () => {
    const worker = await h.startWorker(
      { WORKER_CONCURRENCY: 'many', SLIPWAY_QUEUE_PREFIX: 'a b' },
      { waitUntilStarted: false },
    );
    expect(await exitWithin(worker.exited, 20_000)).toEqual({ code: 1, signal: null });
    expect(worker.output()).toMatch(/WORKER_CONCURRENCY: /);
    expect(worker.output()).toMatch(/SLIPWAY_QUEUE_PREFIX: /);
    expect(worker.output()).not.toMatch(/\n\s+at /);
  }, 60_000);

  test('an unreachable database: exit 1', async () => {
    const { server, port } = await listening();
    server.close();
    const worker = await startWorkerProcess({
      databaseUrl: `postgresql://postgres@127.0.0.1:${port}/nothing`,
      redisUrl: h.redisUrl,
      instance: '',
      secretKey: Buffer.alloc(32, 1),
      env: { SLIPWAY_QUEUE_PREFIX: h.queuePrefix },
      waitUntilStarted: false,
    });
    expect(await exitWithin(worker.exited, 30_000)).toEqual({ code: 1, signal: null });
    expect(worker.output()).toContain('failed to start');
  }, 60_000);
});

describe('two installations on one Docker host', () => {
  test('each labels its containers with its own installation id and leaves the other alone', async () => {
    // A second installation: its own database; the same Docker engine and Redis, another prefix.
    const other = await createTestDatabase();
    const otherDb = createDatabase(other.url);
    try {
      const ours = await loadInstallationId(h.db);
      const theirs = await loadInstallationId(otherDb);
      expect(ours).not.toBe(theirs);
      // Stable: asked again, each database gives the same id.
      expect(await loadInstallationId(h.db)).toBe(ours);

      // SLIPWAY_INSTANCE left empty: each worker labels with its database's installation id.
      const worker = await h.startWorker({ SLIPWAY_INSTANCE: '' });
      const otherWorker = await startWorkerProcess({
        databaseUrl: other.url,
        redisUrl: h.redisUrl,
        instance: '',
        secretKey: Buffer.alloc(32, 2),
        env: { SLIPWAY_QUEUE_PREFIX: `${h.queuePrefix}-other` },
      });
      const app = await createApp(h, 'ours');
      const live = await deployLive(h, app, FIXTURE_IMAGES.webV1);
      // An orphan of theirs: their reconciler must remove it (it sees and acts), ours must not.
      const orphan = (
        await dockerCli([
          'run',
          '-d',
          '--label',
          'io.slipway.managed=true',
          '--label',
          `${instanceLabel}=${theirs}`,
          '--label',
          `io.slipway.deployment=${randomUUID()}`,
          FIXTURE_IMAGES.webV1,
        ])
      ).trim();
      await waitFor(
        'their reconciler to remove their orphan',
        () => instanceContainers(theirs),
        (list) => !list.some((c) => c.id === orphan),
        20_000,
      );
      // Both reconcilers run every second; several passes have run by now.
      await sleep(2000);
      expect((await instanceContainers(ours)).map((c) => c.id)).toContain(live.containerId);
      expect(otherWorker.isRunning()).toBe(true);
      await otherWorker.kill('SIGTERM');
      await worker.kill('SIGTERM');
    } finally {
      // Not labelled with the harness's instance: removed here.
      for (const id of await Promise.all([loadInstallationId(h.db), loadInstallationId(otherDb)])) {
        await removeContainersWithLabel(instanceLabel, id);
      }
      await otherDb.$disconnect();
      await other.drop();
    }
  }, 120_000);
});

async function waitUntilFinished(id: string): Promise<string> {
  for (let attempt = 0; attempt < 300; attempt += 1) {
    const row = await deploymentRow(h.db, id);
    if (row.status !== 'queued' && row.status !== 'running') return row.status;
    await sleep(100);
  }
  throw new Error(`deployment ${id} did not finish`);
}
