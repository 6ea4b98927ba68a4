/**
 * The deployment pipeline end to end, in process: the real API (its own database and queue prefix,
 * from startTestServer) plus a real BullMQ worker on that same database and queue, driving the real
 * Docker engine. Every container the worker starts carries this harness's own instance label, so a
 * test can tell exactly what it left behind, and close() removes all of it.
 */
import { randomBytes } from 'node:crypto';
import Docker from 'dockerode';
import type { LightMyRequestResponse } from 'fastify';
import type { Redis } from 'ioredis';
import { pino } from 'pino';
import { expect, inject } from 'vitest';
import { z } from 'zod';
import type { RetryPolicy } from '../../src/db/retry.js';
import { createDockerEngine } from '../../src/docker/docker-engine.js';
import { buildServer } from '../../src/http/build-server.js';
import { composeServices } from '../../src/main/compose-services.js';
import { labelKeys } from '../../src/docker/container-labels.js';
import { setRefOfLabels } from '../../src/docker/web-set.js';
import { createRedisConnection } from '../../src/queue/redis-connection.js';
import { composeWorker } from '../../src/worker/compose-worker.js';
import {
  sendTokenByDefault,
  startTestServer,
  testSecurity,
  type TestServer,
} from './test-server.js';
import { parseBody as parseJson } from './json-body.js';
import { startHarnessIngress, type HarnessIngress } from './harness-ingress.js';

/*
 * Response shapes as issue 3 describes them, written independently of src/schemas so a drift in
 * the implementation's own schemas cannot make the tests agree with it.
 */
const isoDate = z.iso.datetime();

export const stepBody = z
  .object({
    id: z.uuid(),
    kind: z.enum(['pull', 'release_command', 'start', 'probe', 'activate', 'route', 'retire']),
    label: z.string(),
    position: z.number().int(),
    source: z.enum(['image', 'app']).nullable(),
    status: z.enum(['pending', 'running', 'succeeded', 'failed', 'skipped', 'cancelled']),
    startedAt: isoDate.nullable(),
    finishedAt: isoDate.nullable(),
    durationMs: z.number().int().nullable(),
    exitCode: z.number().int().nullable(),
    error: z.string().nullable(),
  })
  .strict();
export type StepBody = z.infer<typeof stepBody>;

const deploymentFields = {
  id: z.uuid(),
  app: z.string(),
  kind: z.enum(['deploy', 'rollback']),
  rollbackOf: z.uuid().nullable(),
  image: z.string(),
  status: z.enum(['queued', 'running', 'succeeded', 'failed', 'cancelled']),
  imageId: z.string().nullable(),
  failureReason: z.string().nullable(),
  createdAt: isoDate,
  startedAt: isoDate.nullable(),
  finishedAt: isoDate.nullable(),
};

export const deploymentBody = z.object({ ...deploymentFields, steps: z.array(stepBody) }).strict();
export type DeploymentBody = z.infer<typeof deploymentBody>;

export const deploymentPageBody = z
  .object({
    items: z.array(z.object(deploymentFields).strict()),
    nextCursor: z.string().nullable(),
  })
  .strict();

export const releaseBody = z
  .object({
    app: z.string(),
    deploymentId: z.uuid(),
    image: z.string(),
    imageId: z.string(),
    workload: z.object({ engine: z.literal('docker'), ref: z.string().min(12) }).strict(),
    endpoint: z.string().regex(/^http:\/\/127\.0\.0\.1:\d+$/),
    endpoints: z.array(z.string().regex(/^http:\/\/127\.0\.0\.1:\d+$/)).min(1),
    replicas: z.number().int().min(1),
    webPort: z.number().int(),
    /** Deprecated, kept for older clients: the same facts in Docker's terms. */
    containerId: z.string(),
    containerPort: z.number().int(),
    hostPort: z.number().int(),
    activatedAt: isoDate,
    health: z.enum(['running', 'exited', 'missing']),
    healthCheckedAt: isoDate.nullable(),
  })
  .strict();
export type ReleaseBody = z.infer<typeof releaseBody>;

export const problemBody = z.object({
  status: z.number().int(),
  code: z.string(),
  detail: z.string(),
});

const terminalStatuses: ReadonlySet<DeploymentBody['status']> = new Set([
  'succeeded',
  'failed',
  'cancelled',
]);

/** Probe settings that make failure tests quick; a test overrides what it is about. */
export const quickProbe = {
  startupTimeoutSeconds: 10,
  probeTimeoutSeconds: 2,
  maxRetries: 1000,
  intervalMs: 100,
} as const;

export interface AppSettingsInput {
  /** Web container port; left unset, the image's EXPOSE decides. */
  port?: number | null;
  /** Merged over quickProbe. */
  probe?: Partial<{
    startupTimeoutSeconds: number;
    probeTimeoutSeconds: number;
    maxRetries: number;
    intervalMs: number;
    path: string;
  }>;
  releaseCommands?: { label: string; command: string; timeoutSeconds?: number }[];
  /** webContainer.retainReleases; left unset, the default (2). */
  retainReleases?: number;
  /** Web containers per release (webContainer.replicas); left unset, the default (1). */
  replicas?: number;
}

export interface HarnessContainer {
  id: string;
  state: string;
  role: string | undefined;
  app: string | undefined;
  deployment: string | undefined;
  step: string | undefined;
  labels: Record<string, string>;
}

export interface PipelineHarnessOptions {
  /** Deployments the worker runs at once (default 2: enough to show apps run concurrently). */
  concurrency?: number;
  logLimits?: { headBytes?: number; tailBytes?: number };
  deploymentTimeoutSeconds?: number;
  heartbeatIntervalMs?: number;
  /** How soon a job blocked behind an earlier deployment of its app is retried (default 100). */
  blockedRetryMs?: number;
  /** How the worker's database writes are retried (default: production's 60 s window). */
  retryPolicy?: RetryPolicy;
  /** A real supervised HAProxy on a random 127.0.0.1 port as the worker's ingress. */
  ingress?: boolean;
  /** SLIPWAY_BASE_DOMAIN of the API and the ingress. */
  baseDomain?: string;
}

type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
type Send = (method: Method, url: string, body?: object) => Promise<LightMyRequestResponse>;

/**
 * The one place that knows how a test authenticates to the API: every call goes through here
 * (the admin token of the server it is sent to).
 */
function sender(request: TestServer['request'], token: string | null): Send {
  return (method, url, body) =>
    request(token, { method, url, ...(body === undefined ? {} : { payload: body }) });
}

export { parseBody as parseJson } from './json-body.js';

/** Asserts the status, then parses the JSON body. */
export function expectJson<T>(
  res: LightMyRequestResponse,
  status: number,
  schema: z.ZodType<T>,
): T {
  expect(res.statusCode, res.body.slice(0, 1000)).toBe(status);
  return parseJson(res, schema);
}

export async function startPipelineHarness(options: PipelineHarnessOptions = {}) {
  const api = await startTestServer(
    options.baseDomain === undefined ? {} : { baseDomain: options.baseDomain },
  );
  const instance = `test-${randomBytes(5).toString('hex')}`;
  const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  // A connection of its own: BullMQ workers block on theirs, and keep the offline queue.
  const workerRedis = createRedisConnection(inject('redisUrl'), { failFast: false });
  workerRedis.on('error', (error) => {
    logger.warn({ err: error }, 'worker redis error');
  });
  let ingress: HarnessIngress | null = null;
  if (options.ingress === true) {
    try {
      ingress = await startHarnessIngress(api.db, logger, options.baseDomain ?? null);
    } catch (error) {
      workerRedis.disconnect();
      await api.close();
      throw error;
    }
  }
  const worker = composeWorker({
    db: api.db,
    ingress: ingress?.ingress ?? null,
    redis: workerRedis,
    // No credentials from whoever runs the tests: pulls get only what a deployment supplies.
    engine: createDockerEngine({ instance, network: undefined, authConfig: null }),
    secretKey: api.secretKey,
    baseDomain: options.baseDomain ?? null,
    logger,
    workerId: `${instance}-worker`,
    concurrency: options.concurrency ?? 2,
    deploymentTimeoutSeconds: options.deploymentTimeoutSeconds ?? 120,
    lostAfterSeconds: 10,
    reconcileIntervalSeconds: 5,
    queuePrefix: api.redisPrefix,
    blockedRetryMs: options.blockedRetryMs ?? 100,
    ...(options.retryPolicy === undefined ? {} : { retryPolicy: options.retryPolicy }),
    ...(options.logLimits === undefined ? {} : { logLimits: options.logLimits }),
    ...(options.heartbeatIntervalMs === undefined
      ? {}
      : { heartbeatIntervalMs: options.heartbeatIntervalMs }),
  });
  // The tests here look at the pipeline alone; the reconciler has tests of its own (test/lifecycle).
  await worker.start({ reconcile: false });
  const runner = worker.runner;
  const docker = new Docker();
  const request = sender(api.request, api.adminToken);
  const extraApis: (() => Promise<void>)[] = [];

  async function getDeployment(id: string): Promise<DeploymentBody> {
    return expectJson(await request('GET', `/v1/deployments/${id}`), 200, deploymentBody);
  }

  async function log(id: string): Promise<string> {
    const res = await request('GET', `/v1/deployments/${id}/log`);
    expect(res.statusCode, res.body.slice(0, 1000)).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    return res.body;
  }

  async function containers(app?: string): Promise<HarnessContainer[]> {
    const label = [`${labelKeys.instance}=${instance}`];
    if (app !== undefined) label.push(`${labelKeys.app}=${app}`);
    const found = await docker.listContainers({ all: true, filters: { label } });
    return found.map((c) => ({
      id: c.Id,
      state: c.State,
      role: c.Labels[labelKeys.role],
      app: c.Labels[labelKeys.app],
      deployment: c.Labels[labelKeys.deployment],
      step: c.Labels[labelKeys.step],
      labels: c.Labels,
    }));
  }

  async function forceRemove(ids: string[]): Promise<void> {
    for (const id of ids) {
      await docker
        .getContainer(id)
        // With its anonymous volumes, as Slipway removes containers: a test leaves none behind.
        .remove({ force: true, v: true })
        .catch(() => undefined);
    }
  }

  return {
    api,
    instance,
    runner,
    /** The ingress (options.ingress), or null. */
    ingress,
    /** One reconcile pass (the harness runs none on its own). */
    reconcileOnce: () => worker.reconcileOnce(),
    /** Calls the API as its admin. */
    request,
    /** Calls the API with another bearer token, or none (null). */
    requestAs: (token: string | null): Send => sender(api.request, token),

    /** Creates an app with quick probe settings, then applies `settings`. */
    async createApp(name: string, settings: AppSettingsInput = {}): Promise<void> {
      expectJson(await request('POST', '/v1/apps', { name }), 201, z.object({ name: z.string() }));
      expectJson(
        await request('PATCH', `/v1/apps/${name}/settings/startup-probe`, {
          ...quickProbe,
          ...settings.probe,
        }),
        200,
        z.object({}),
      );
      if (
        settings.port !== undefined ||
        settings.retainReleases !== undefined ||
        settings.replicas !== undefined
      ) {
        expectJson(
          await request('PATCH', `/v1/apps/${name}/settings/web-container`, {
            ...(settings.port === undefined ? {} : { port: settings.port }),
            ...(settings.retainReleases === undefined
              ? {}
              : { retainReleases: settings.retainReleases }),
            ...(settings.replicas === undefined ? {} : { replicas: settings.replicas }),
          }),
          200,
          z.object({}),
        );
      }
      for (const command of settings.releaseCommands ?? []) {
        expectJson(
          await request('POST', `/v1/apps/${name}/release-commands`, command),
          201,
          z.object({}),
        );
      }
    },

    /** Triggers a deployment and checks the 202 answer. */
    async deploy(app: string, image: string): Promise<DeploymentBody> {
      const res = await request('POST', `/v1/apps/${app}/deployments`, { image });
      return expectJson(res, 202, deploymentBody);
    },

    getDeployment,
    log,

    /** Polls until the deployment is finished; on timeout the error carries its log. */
    async waitForDeployment(
      id: string,
      { timeoutMs = 60_000 }: { timeoutMs?: number } = {},
    ): Promise<DeploymentBody> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const deployment = await getDeployment(id);
        if (terminalStatuses.has(deployment.status)) return deployment;
        if (Date.now() > deadline) {
          throw new Error(
            `deployment ${id} still ${deployment.status} after ${timeoutMs} ms\n${await log(id)}`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },

    /** The live release, or null on 404. */
    async release(app: string): Promise<ReleaseBody | null> {
      const res = await request('GET', `/v1/apps/${app}/release`);
      if (res.statusCode === 404) return null;
      return expectJson(res, 200, releaseBody);
    },

    /** Containers (running or not) carrying this harness's instance label (and of `app`). */
    containers,

    /**
     * Removes and returns every container of this harness that is not an app's live release or
     * a retained (stopped, kept for rollback) release, so an afterEach can fail the test that
     * left them without the next test inheriting them.
     */
    async sweepStrayContainers(): Promise<HarnessContainer[]> {
      const kept = [
        ...(await api.db.release.findMany({ select: { workloadRef: true } })),
        ...(await api.db.retainedRelease.findMany({ select: { workloadRef: true } })),
      ];
      const live = new Set(kept.map((release) => release.workloadRef));
      // A kept release names its container, or the set of replicas the container is one of.
      const strays = (await containers()).filter(
        (c) => !live.has(c.id) && !live.has(setRefOfLabels(c.labels) ?? ''),
      );
      await forceRemove(strays.map((c) => c.id));
      return strays;
    },

    /**
     * A second API over the same database whose queue uses `redis` (e.g. one pointed at a dead
     * port), with the same request helper shape.
     */
    async apiWithRedis(redis: Redis): Promise<{ request: Send }> {
      const apiLogger = pino({ level: 'silent' });
      const security = testSecurity();
      const services = composeServices(api.db, redis, {
        logger: apiLogger,
        security,
        queuePrefix: api.redisPrefix,
      });
      const server = await buildServer({ logger: apiLogger, ...services });
      await server.ready();
      extraApis.push(async () => {
        await server.close();
        await services.close().catch(() => undefined);
      });
      return {
        request: sender(sendTokenByDefault(server, security.adminToken), security.adminToken),
      };
    },

    /** Stops the worker, removes every container of this instance, closes the API. */
    async close(): Promise<void> {
      // Interrupt whatever still runs (a test that failed mid-deployment) instead of waiting it out.
      await worker.stop(0);
      await ingress?.close();
      workerRedis.disconnect();
      for (const closeApi of extraApis) await closeApi();
      await forceRemove((await containers()).map((c) => c.id));
      await api.close();
    },
  };
}

export type PipelineHarness = Awaited<ReturnType<typeof startPipelineHarness>>;

/** GET http://127.0.0.1:<port><path>; the body, or null if nothing answered within 5 s. */
export async function httpGet(
  port: number,
  path = '/',
): Promise<{ status: number; body: string } | null> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, {
      signal: AbortSignal.timeout(5000),
    });
    return { status: res.status, body: await res.text() };
  } catch {
    return null;
  }
}

/** Steps by kind/label/status, for compact assertions on the whole plan. */
export function stepSummary(deployment: DeploymentBody): string[] {
  return deployment.steps.map((step) => `${step.kind}:${step.label}:${step.status}`);
}
