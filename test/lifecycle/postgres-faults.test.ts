/**
 * PostgreSQL connections dropped under a running deployment (pg_terminate_backend, restricted to
 * this file's own database; the shared server is never restarted): the worker retries its writes
 * with back-off and the deployment completes. With the database refusing connections for a few
 * seconds, the API answers 503 meanwhile and recovers by itself.
 */
import { afterAll, afterEach, beforeAll, describe, expect, inject, test } from 'vitest';
import { REGISTRY_IMAGES } from '../support/docker-fixtures.js';
import { withClient } from '../support/template-database.js';
import { killLeftoverWorkers } from '../support/worker-process.js';
import {
  createApp,
  deployLive,
  fetchServed,
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

const workerAppName = 'slipway-lifecycle-worker';
const lineCount = 100;
/** About four seconds of output, one line every 40 ms, written to the log as it comes. */
const chattyCommand = `i=1; while [ $i -le ${lineCount} ]; do echo line-$i; i=$((i+1)); sleep 0.04; done`;

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
}, harnessStartTimeoutMs);

afterEach(async () => {
  killLeftoverWorkers();
  // Whatever a test did, the database accepts connections again afterwards.
  await allowConnections(true);
});

afterAll(async () => {
  await h.close();
});

function admin<T>(use: Parameters<typeof withClient<T>>[1]): Promise<T> {
  return withClient(inject('postgresAdminUrl'), use);
}

type AdminClient = Parameters<Parameters<typeof withClient>[1]>[0];

/** Terminates backends of this file's database only: all of them, or one application's. */
async function terminateBackends(applicationName?: string, client?: AdminClient): Promise<number> {
  const terminate = async (admin: AdminClient) => {
    const result = await admin.query<{ terminated: boolean }>(
      `SELECT pg_terminate_backend(pid) AS terminated FROM pg_stat_activity
       WHERE datname = $1 AND pid <> pg_backend_pid()
         AND ($2::text IS NULL OR application_name = $2::text)`,
      [h.database.name, applicationName ?? null],
    );
    return result.rows.filter((row) => row.terminated).length;
  };
  return client === undefined ? admin(terminate) : terminate(client);
}

async function allowConnections(allow: boolean): Promise<void> {
  await admin(async (client) => {
    await client.query(
      `ALTER DATABASE "${h.database.name}" WITH ALLOW_CONNECTIONS ${allow ? 'true' : 'false'}`,
    );
  });
}

function workerDatabaseUrl(): string {
  const url = new URL(h.database.url);
  url.searchParams.set('application_name', workerAppName);
  return url.toString();
}

function expectAllLines(log: string) {
  const lines = log.split('\n').filter((line) => /^line-\d+$/.test(line));
  expect(lines).toEqual(Array.from({ length: lineCount }, (_, i) => `line-${i + 1}`));
}

describe('PostgreSQL faults', () => {
  test("the worker's connections killed again and again mid-deployment: it completes", async () => {
    await h.startWorker({ DATABASE_URL: workerDatabaseUrl() });
    const app = await createApp(h, 'pg-kill');
    const previous = await deployLive(h, app, REGISTRY_IMAGES.webV1);
    await setReleaseCommands(h, app, [{ label: 'chatty', command: chattyCommand }]);
    const deployment = await trigger(h, app, REGISTRY_IMAGES.webV2);
    await waitFor(
      'the release command to write',
      () => storedLog(h.db, deployment.id),
      (log) => log.includes('line-1\n'),
      30_000,
    );
    // Every 50 ms for about 5 s: through the command's output, its end and the next steps, so
    // connections die idle and in the middle of queries and transactions alike.
    const terminated = await admin(async (client) => {
      let count = 0;
      for (let round = 0; round < 100; round++) {
        count += await terminateBackends(workerAppName, client);
        await sleep(50);
      }
      return count;
    });
    const lastKillAt = Date.now();
    expect(terminated).toBeGreaterThan(0);
    const row = await waitForFinished(h.db, deployment.id, 90_000);
    recordTiming(
      `pg_terminate_backend ×${terminated} on the worker → deployment ${row.status} (from the last kill)`,
      Date.now() - lastKillAt,
    );
    expect(row.status, row.failureReason ?? '').toBe('succeeded');
    expectAllLines(await storedLog(h.db, deployment.id));
    const release = await h.db.release.findFirstOrThrow({
      where: { applicationId: row.applicationId },
    });
    expect(release.deploymentId).toBe(deployment.id);
    expect(await fetchServed(Number(new URL(release.endpoint).port))).toBe('slipway-test web v2');
    expect(previous.deploymentId).not.toBe(deployment.id);
  }, 150_000);

  test('the database refusing connections for a while: API 503 meanwhile, then both recover', async () => {
    const worker = await h.startWorker({ DATABASE_URL: workerDatabaseUrl() });
    const app = await createApp(h, 'pg-down');
    await setReleaseCommands(h, app, [{ label: 'chatty', command: chattyCommand }]);
    const deployment = await trigger(h, app, REGISTRY_IMAGES.webV1);
    await waitFor(
      'the release command to write',
      () => storedLog(h.db, deployment.id),
      (log) => log.includes('line-1\n'),
      30_000,
    );

    await allowConnections(false);
    const downAt = Date.now();
    await terminateBackends();
    const during = await h.api(`/v1/apps/${app}`);
    expect(during.status, during.text).toBe(503);
    expect(during.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    // Down for about five seconds: longer than WORKER_LOST_AFTER_SECONDS (3 s).
    await sleep(Math.max(0, 5000 - (Date.now() - downAt)));
    expect((await h.api(`/v1/apps/${app}`)).status).toBe(503);
    await allowConnections(true);
    const upAt = Date.now();

    await waitFor(
      'the API to answer again',
      () => h.api(`/v1/apps/${app}`),
      (response) => response.status === 200,
      30_000,
    );
    recordTiming('database back → API answers 200 again', Date.now() - upAt);
    const row = await waitForFinished(h.db, deployment.id, 90_000);
    recordTiming(`database back → deployment ${row.status}`, Date.now() - upAt);
    expect(row.status, row.failureReason ?? '').toBe('succeeded');
    expectAllLines(await storedLog(h.db, deployment.id));
    // Its writes were retried rather than given up on.
    expect(worker.records().some((r) => r.msg === 'database unreachable; retrying')).toBe(true);
    expect(worker.isRunning()).toBe(true);
  }, 150_000);
});
