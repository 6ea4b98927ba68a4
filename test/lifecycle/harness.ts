/**
 * Fault-injection harness: the real API listening on 127.0.0.1 (in this process, with a database
 * of this file's own), Redis, and real worker processes started on demand.
 *
 * Each file's API and workers share a queue prefix of their own (SLIPWAY_QUEUE_PREFIX) on the
 * shared Redis, so files never take each other's jobs. Only a file that flushes or restarts Redis
 * asks for a redis-server of its own ({ dedicatedRedis: true }).
 */
import { appendFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import { inject } from 'vitest';
import { z } from 'zod';
import { createDatabase, type Database } from '../../src/db/prisma-client.js';
import { buildServer, type SlipwayServer } from '../../src/http/build-server.js';
import { composeServices } from '../../src/main/compose-services.js';
import { createRedisConnection } from '../../src/queue/redis-connection.js';
import {
  dockerCli,
  ENSURE_DOCKER_TIMEOUT_MS,
  ensureDockerFixtures,
  removeContainersWithLabel,
} from '../support/docker-fixtures.js';
import { startRedisProcess, type RedisProcess } from '../support/redis-process.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import {
  killLeftoverWorkers,
  startWorkerProcess,
  type WorkerProcess,
} from '../support/worker-process.js';

export const instanceLabel = 'io.slipway.instance';

/** For the beforeAll that starts the harness: a cold Docker setup may build the fixture images. */
export const harnessStartTimeoutMs = ENSURE_DOCKER_TIMEOUT_MS + 120_000;

/** What the API answers for a deployment (only the fields these tests read). */
export const deploymentBody = z.object({
  id: z.uuid(),
  status: z.enum(['queued', 'running', 'succeeded', 'failed', 'cancelled']),
  failureReason: z.string().nullable(),
  steps: z.array(
    z.object({ id: z.uuid(), kind: z.string(), label: z.string(), status: z.string() }),
  ),
});
export type DeploymentBody = z.infer<typeof deploymentBody>;

export interface ApiResponse {
  status: number;
  headers: Headers;
  text: string;
  /** The body parsed as JSON (throws, naming status and body, if it is not JSON). */
  json(): unknown;
}

export interface ApiOptions {
  method?: string;
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

export interface Api {
  baseUrl: string;
  close(): Promise<void>;
}

export interface Harness {
  db: Database;
  database: TestDatabase;
  /** The redis-server of this file, when it asked for one ({ dedicatedRedis: true }). */
  redis: RedisProcess | null;
  redisUrl: string;
  /** The queue prefix of this file's API and workers. */
  queuePrefix: string;
  /** SLIPWAY_INSTANCE of every worker of this file: containers are found by it. */
  instance: string;
  baseUrl: string;
  /** SLIPWAY_ADMIN_TOKEN of the API, for clients started by a test (e.g. the CLI). */
  adminToken: string;
  /**
   * Every HTTP request to an API goes through here (streams included), so credentials are added
   * in exactly one place. Returns the raw response; the body is not read.
   */
  http(path: string, options?: ApiOptions, baseUrl?: string): Promise<Response>;
  /** A request whose body is read completely. */
  api(path: string, options?: ApiOptions, baseUrl?: string): Promise<ApiResponse>;
  /** Another API on the same database and Redis, e.g. with a queue prefix no worker reads. */
  startApi(options: { queuePrefix?: string }): Promise<Api>;
  startWorker(
    env?: Record<string, string>,
    options?: { waitUntilStarted?: boolean },
  ): Promise<WorkerProcess>;
  close(): Promise<void>;
}

const testLogger = () => pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

export async function startHarness(options: { dedicatedRedis?: boolean } = {}): Promise<Harness> {
  await ensureDockerFixtures();
  const database = await createTestDatabase();
  const db = createDatabase(database.url);
  const redis = options.dedicatedRedis === true ? await startRedisProcess() : null;
  const redisUrl = redis?.url ?? inject('redisUrl');
  const instance = `lc-${randomBytes(5).toString('hex')}`;
  const queuePrefix = `lc-${randomBytes(5).toString('hex')}`;
  const adminToken = `lifecycle-admin-${randomBytes(24).toString('base64url')}`;
  const secretKey = randomBytes(32);
  const apis: Api[] = [];

  async function startApi(options: { queuePrefix?: string }): Promise<Api> {
    const logger = testLogger();
    const redisConnection = createRedisConnection(redisUrl);
    // Restarting the dedicated Redis is part of the tests: reported like src/main/api.ts does.
    redisConnection.on('error', (error) => {
      logger.warn({ err: error }, 'redis connection error');
    });
    const apiDb = createDatabase(database.url);
    const services = composeServices(apiDb, redisConnection, {
      logger,
      security: { adminToken, secretKey },
      // Webhook receivers of these tests listen on 127.0.0.1.
      allowPrivateWebhooks: true,
      queuePrefix: options.queuePrefix ?? queuePrefix,
    });
    const server: SlipwayServer = await buildServer({ logger, ...services });
    await server.listen({ host: '127.0.0.1', port: 0 });
    const address = server.server.address();
    if (address === null || typeof address === 'string')
      throw new Error('the API is not listening');
    const api: Api = {
      baseUrl: `http://127.0.0.1:${address.port}`,
      close: async () => {
        await server.close();
        await services.close();
        await apiDb.$disconnect();
        redisConnection.disconnect();
      },
    };
    apis.push(api);
    return api;
  }

  const main = await startApi({});

  async function http(path: string, options: ApiOptions = {}, baseUrl = main.baseUrl) {
    const headers: Record<string, string> = {
      authorization: `Bearer ${adminToken}`,
      ...options.headers,
    };
    let body: string | undefined;
    if (options.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.body);
    }
    return fetch(`${baseUrl}${path}`, {
      method: options.method ?? 'GET',
      headers,
      ...(body === undefined ? {} : { body }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
  }

  return {
    db,
    database,
    redis,
    redisUrl,
    queuePrefix,
    instance,
    baseUrl: main.baseUrl,
    adminToken,
    http,
    async api(path, options, baseUrl) {
      const response = await http(path, options, baseUrl);
      const text = await response.text();
      return {
        status: response.status,
        headers: response.headers,
        text,
        json: () => {
          try {
            return JSON.parse(text) as unknown;
          } catch (error) {
            throw new Error(`${response.status} is not JSON: ${text.slice(0, 500)}`, {
              cause: error,
            });
          }
        },
      };
    },
    startApi,
    startWorker: (env, options) =>
      startWorkerProcess({
        databaseUrl: database.url,
        redisUrl,
        instance,
        secretKey,
        env: { SLIPWAY_QUEUE_PREFIX: queuePrefix, ...env },
        ...options,
      }),
    async close() {
      killLeftoverWorkers();
      const failures: unknown[] = [];
      const attempt = async (step: () => Promise<void>) => {
        try {
          await step();
        } catch (error) {
          failures.push(error);
        }
      };
      for (const api of apis) await attempt(() => api.close());
      await attempt(() => removeContainersWithLabel(instanceLabel, instance));
      await attempt(() => db.$disconnect());
      await attempt(() => database.drop());
      if (redis !== null) await attempt(() => redis.stop());
      if (failures.length > 0) throw new AggregateError(failures, 'harness clean-up failed');
    },
  };
}

/** Polls `read` until `done` holds, at most timeoutMs; fails naming `what` and the last value. */
export async function waitFor<T>(
  what: string,
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs: number,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  let lastError: unknown = null;
  // Bounded by time and by count.
  for (let attempt = 0; attempt < Math.ceil(timeoutMs / intervalMs) + 1; attempt++) {
    try {
      last = await read();
      lastError = null;
      if (done(last)) return last;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) break;
    await sleep(intervalMs);
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${what}; last value: ${JSON.stringify(last, bigintSafe)}${
      lastError === null ? '' : `; last error: ${describeError(lastError)}`
    }`,
  );
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : JSON.stringify(error);
}

function bigintSafe(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The deployment as PostgreSQL has it, with its steps in order. */
export async function deploymentRow(db: Database, id: string) {
  return db.deployment.findUniqueOrThrow({
    where: { id },
    include: { steps: { orderBy: { position: 'asc' } } },
  });
}
export type DeploymentRow = Awaited<ReturnType<typeof deploymentRow>>;

export const finalStatuses = new Set(['succeeded', 'failed', 'cancelled']);

export function waitForStatus(
  db: Database,
  id: string,
  done: (row: DeploymentRow) => boolean,
  timeoutMs: number,
  what = 'the deployment',
): Promise<DeploymentRow> {
  return waitFor(what, () => deploymentRow(db, id), done, timeoutMs);
}

export function waitForFinished(db: Database, id: string, timeoutMs: number) {
  return waitForStatus(
    db,
    id,
    (row) => finalStatuses.has(row.status),
    timeoutMs,
    `${id} to finish`,
  );
}

/** The stored log of a deployment, in order. */
export async function storedLog(db: Database, id: string): Promise<string> {
  const chunks = await db.logChunk.findMany({
    where: { deploymentId: id },
    orderBy: { id: 'asc' },
    select: { text: true },
  });
  return chunks.map((chunk) => chunk.text).join('');
}

export interface InstanceContainer {
  id: string;
  deploymentId: string;
  role: string;
  state: string;
}

/** Every container (running or not) carrying this file's instance label. */
export async function instanceContainers(instance: string): Promise<InstanceContainer[]> {
  const output = await dockerCli([
    'ps',
    '-a',
    '--no-trunc',
    '--filter',
    `label=${instanceLabel}=${instance}`,
    '--format',
    '{{.ID}}\t{{.Label "io.slipway.deployment"}}\t{{.Label "io.slipway.role"}}\t{{.State}}',
  ]);
  return output
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      const [id = '', deploymentId = '', role = '', state = ''] = line.split('\t');
      return { id, deploymentId, role, state };
    });
}

/** What an app container answers on / (the fixture web images name their version). */
export async function fetchServed(hostPort: number): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${hostPort}/`, {
    signal: AbortSignal.timeout(5000),
  });
  return (await response.text()).trim();
}

export interface AppSetup {
  releaseCommands?: { label: string; command: string; timeoutSeconds?: number }[];
  probe?: Record<string, number | string>;
}

/** Creates an app with a unique name, its release commands and probe settings; returns the name. */
export async function createApp(h: Harness, prefix: string, setup: AppSetup = {}): Promise<string> {
  const name = `${prefix}-${randomBytes(4).toString('hex')}`;
  expectStatus(await h.api('/v1/apps', { method: 'POST', body: { name } }), 201);
  for (const command of setup.releaseCommands ?? []) {
    expectStatus(
      await h.api(`/v1/apps/${name}/release-commands`, { method: 'POST', body: command }),
      201,
    );
  }
  expectStatus(
    await h.api(`/v1/apps/${name}/settings/startup-probe`, {
      method: 'PATCH',
      body: { intervalMs: 100, ...setup.probe },
    }),
    200,
  );
  return name;
}

/** Replaces an app's release commands. */
export async function setReleaseCommands(
  h: Harness,
  app: string,
  commands: { label: string; command: string; timeoutSeconds?: number }[],
): Promise<void> {
  const listed = z
    .object({ items: z.array(z.object({ id: z.uuid() })) })
    .parse((await h.api(`/v1/apps/${app}/release-commands`)).json());
  for (const item of listed.items) {
    expectStatus(
      await h.api(`/v1/apps/${app}/release-commands/${item.id}`, { method: 'DELETE' }),
      204,
    );
  }
  for (const command of commands) {
    expectStatus(
      await h.api(`/v1/apps/${app}/release-commands`, { method: 'POST', body: command }),
      201,
    );
  }
}

export async function trigger(
  h: Harness,
  app: string,
  image: string,
  options: { idempotencyKey?: string; baseUrl?: string } = {},
): Promise<DeploymentBody> {
  const response = await h.api(
    `/v1/apps/${app}/deployments`,
    {
      method: 'POST',
      body: { image },
      ...(options.idempotencyKey === undefined
        ? {}
        : { headers: { 'idempotency-key': options.idempotencyKey } }),
    },
    options.baseUrl,
  );
  expectStatus(response, 202);
  return deploymentBody.parse(response.json());
}

/** Deploys `image` and waits until it is the live release; returns its deployment and host port. */
export async function deployLive(
  h: Harness,
  app: string,
  image: string,
  timeoutMs = 60_000,
): Promise<{ deploymentId: string; hostPort: number; containerId: string }> {
  const deployment = await trigger(h, app, image);
  const row = await waitForFinished(h.db, deployment.id, timeoutMs);
  if (row.status !== 'succeeded') {
    throw new Error(
      `deploying ${image} to ${app} ended ${row.status}: ${row.failureReason ?? ''}\n${await storedLog(h.db, deployment.id)}`,
    );
  }
  const release = await h.db.release.findFirstOrThrow({ where: { deploymentId: deployment.id } });
  return {
    deploymentId: deployment.id,
    hostPort: Number(new URL(release.endpoint).port),
    containerId: release.workloadRef,
  };
}

export function expectStatus(response: ApiResponse, status: number): void {
  if (response.status !== status) {
    throw new Error(
      `expected HTTP ${status}, got ${response.status}: ${response.text.slice(0, 1000)}`,
    );
  }
}

/**
 * Records how long a recovery took, for the report: printed, and appended as a JSON line to
 * $LIFECYCLE_TIMINGS_FILE when set. Never asserted beyond the issue's own bounds.
 */
export function recordTiming(fault: string, milliseconds: number): void {
  const line = JSON.stringify({ fault, milliseconds: Math.round(milliseconds) });
  process.stdout.write(`[lifecycle timing] ${line}\n`);
  const file = process.env.LIFECYCLE_TIMINGS_FILE;
  if (file !== undefined && file !== '') appendFileSync(file, `${line}\n`);
}
