/**
 * Issue 11 item 19: PostgreSQL refuses connections for longer than the worker's write retries
 * last, right as a release command finishes. The command's real outcome (success) must be stored
 * once the database is back, never replaced by a storage error, and no reason may carry driver
 * text or the database's address. Injected for real: ALTER DATABASE … ALLOW_CONNECTIONS false
 * plus pg_terminate_backend on this file's own database.
 */
import pg from 'pg';
import { afterAll, afterEach, beforeAll, expect, inject, test } from 'vitest';
import {
  ensureDockerFixtures,
  ENSURE_DOCKER_TIMEOUT_MS,
  FIXTURE_IMAGES,
} from '../support/docker-fixtures.js';
import { startPipelineHarness, type PipelineHarness } from '../support/pipeline-harness.js';
import { withClient } from '../support/template-database.js';

let harness: PipelineHarness;
/** A connection of the test's own to the file's database, spared by the outage, to look on. */
let observer: pg.Client;

/** The worker's retries give up after 2 s; the outage lasts 6 s. */
const shortRetries = { maxElapsedMs: 2000, maxAttempts: 10, initialDelayMs: 100, maxDelayMs: 500 };
const outageMs = 6000;

beforeAll(async () => {
  await ensureDockerFixtures();
  harness = await startPipelineHarness({ retryPolicy: shortRetries });
  observer = new pg.Client({
    connectionString: harness.api.database.url,
    application_name: 'outage-observer',
  });
  await observer.connect();
}, ENSURE_DOCKER_TIMEOUT_MS);

afterEach(async () => {
  await allowConnections(true);
});

afterAll(async () => {
  await observer.end();
  await harness.close();
});

function admin<T>(use: Parameters<typeof withClient<T>>[1]): Promise<T> {
  return withClient(inject('postgresAdminUrl'), use);
}

async function allowConnections(allow: boolean): Promise<void> {
  const name = harness.api.database.name;
  await admin(async (client) => {
    await client.query(
      `ALTER DATABASE "${name}" WITH ALLOW_CONNECTIONS ${allow ? 'true' : 'false'}`,
    );
    if (!allow) {
      await client.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE datname = $1 AND pid <> pg_backend_pid() AND application_name <> 'outage-observer'`,
        [name],
      );
    }
  });
}

async function stepStatus(deploymentId: string, label: string): Promise<string | null> {
  const result = await observer.query<{ status: string }>(
    'SELECT status FROM deployment_steps WHERE deployment_id = $1::uuid AND label = $2',
    [deploymentId, label],
  );
  return result.rows[0]?.status ?? null;
}

test('a release command that finished during a long outage is stored as succeeded afterwards', async () => {
  await harness.createApp('outage', {
    releaseCommands: [{ label: 'migrate', command: 'sleep 2; echo migrated' }],
  });
  const { id } = await harness.deploy('outage', FIXTURE_IMAGES.webV1);
  // Bounded: the command starts within a few seconds.
  for (
    let attempt = 0;
    attempt < 200 && (await stepStatus(id, 'migrate')) !== 'running';
    attempt++
  ) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  expect(await stepStatus(id, 'migrate')).toBe('running');
  await allowConnections(false);
  // The command finishes (about 2 s) while the database is away, and the retries run out.
  await new Promise((resolve) => setTimeout(resolve, outageMs));
  // Negative control: the outage was real: the step could not have been recorded meanwhile.
  expect(await stepStatus(id, 'migrate')).toBe('running');
  await allowConnections(true);

  const done = await harness.waitForDeployment(id);
  const step = done.steps.find((s) => s.label === 'migrate');
  expect(step).toMatchObject({ status: 'succeeded', exitCode: 0, error: null });
  expect(done.status, done.failureReason ?? '').toBe('succeeded');
  const log = await harness.log(id);
  expect(log).toContain('migrated');
  expect(log).not.toMatch(/Can't reach database|127\.0\.0\.1:5432|prisma/i);
}, 120_000);
