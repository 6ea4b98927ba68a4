import { createServer } from 'node:net';
import { join } from 'node:path';
import { pollUntil, wallNow } from './clock.js';
import { benchDistDir, repoRoot, type BenchEnvironment } from './environment.js';
import { spawnLogged, type ChildHandle } from './processes.js';

/** A free TCP port on 127.0.0.1 (the tiny race until the child binds it is acceptable here). */
export function freePort(): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address !== null && typeof address === 'object') resolvePromise(address.port);
        else reject(new Error('no port'));
      });
    });
  });
}

/** What the processes get: the configuration src/config asks for, and nothing of ours. */
function processEnv(env: BenchEnvironment, extra: Record<string, string>): NodeJS.ProcessEnv {
  const passed = ['PATH', 'HOME', 'TMPDIR', 'LANG', 'TZ', 'DOCKER_HOST', 'DOCKER_CONFIG'];
  const base: NodeJS.ProcessEnv = {};
  for (const name of passed) {
    const value = process.env[name];
    if (value !== undefined) base[name] = value;
  }
  return {
    ...base,
    NODE_ENV: 'production',
    DATABASE_URL: env.databaseUrl,
    REDIS_URL: env.redisUrl,
    SLIPWAY_INSTANCE: env.instance,
    SLIPWAY_SECRET_KEY: env.secretKey,
    SLIPWAY_ADMIN_TOKEN: env.adminToken,
    LOG_LEVEL: 'warn',
    ...extra,
  };
}

/**
 * BENCH_CPU_PROFILE_DIR=<dir> makes the API and worker processes write V8 CPU profiles there
 * (open them in Chrome DevTools), for finding out where a regression's time goes.
 */
function nodeArgs(script: string, flags: readonly string[] = []): string[] {
  const profileDir = process.env.BENCH_CPU_PROFILE_DIR;
  const profile = profileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${profileDir}`];
  return [...profile, ...flags, join(benchDistDir, script)];
}

/** What a benchmark may change about a process: its environment (e.g. DATABASE_URL) and node flags. */
export interface ProcessTweaks {
  env?: Record<string, string>;
  nodeFlags?: readonly string[];
}

export interface ApiProcess {
  child: ChildHandle;
  baseUrl: string;
}

/** `node dist/main/api.js`, as in production; resolves once /readyz answers 200. */
export async function startApi(
  env: BenchEnvironment,
  name = 'api',
  tweaks: ProcessTweaks = {},
): Promise<ApiProcess> {
  const port = await freePort();
  const child = env.track(
    spawnLogged(name, nodeArgs('main/api.js', tweaks.nodeFlags), {
      cwd: repoRoot,
      env: processEnv(env, { HOST: '127.0.0.1', PORT: String(port), ...tweaks.env }),
      logFile: join(env.workDir, `${name}.log`),
    }),
  );
  const baseUrl = `http://127.0.0.1:${port}`;
  await pollUntil(`${name} answering /readyz`, 30_000, 100, async () => {
    if (!child.isRunning()) throw new Error(`${name} exited:\n${child.logTail()}`);
    try {
      const response = await fetch(`${baseUrl}/readyz`);
      await response.arrayBuffer();
      return response.status === 200 ? true : undefined;
    } catch {
      return undefined;
    }
  });
  return { child, baseUrl };
}

/**
 * `node dist/main/worker.js`, as in production. At LOG_LEVEL=warn it announces nothing, so the
 * caller's first (warm-up) deployment is what shows it works.
 */
export function startWorker(
  env: BenchEnvironment,
  concurrency: number,
  name = 'worker',
  tweaks: ProcessTweaks = {},
): ChildHandle {
  return env.track(
    spawnLogged(name, nodeArgs('main/worker.js', tweaks.nodeFlags), {
      cwd: repoRoot,
      env: processEnv(env, {
        WORKER_CONCURRENCY: String(concurrency),
        WORKER_METRICS_PORT: '0',
        WORKER_DRAIN_TIMEOUT_SECONDS: '5',
        ...tweaks.env,
      }),
      logFile: join(env.workDir, `${name}-${String(Date.now())}.log`),
    }),
  );
}

export class ApiError extends Error {}

/** The few /v1 calls the benchmarks make, with the admin token. */
export function createClient(baseUrl: string, adminToken: string) {
  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${adminToken}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    if (!response.ok) throw new ApiError(`${method} ${path}: HTTP ${response.status} ${text}`);
    return (text === '' ? null : JSON.parse(text)) as T;
  }

  return {
    async createApp(
      name: string,
      setup: {
        releaseCommands?: readonly string[];
        probeIntervalMs?: number;
        /**
         * Default 0: the previous release is removed, as the Docker floor does (a kept, stopped
         * container would also pin its image, which the pull benchmark removes between rounds).
         */
        retainReleases?: number;
      } = {},
    ): Promise<void> {
      await call('POST', '/v1/apps', { name });
      await call('PATCH', `/v1/apps/${name}/settings/web-container`, {
        retainReleases: setup.retainReleases ?? 0,
      });
      for (const [index, command] of (setup.releaseCommands ?? []).entries()) {
        await call('POST', `/v1/apps/${name}/release-commands`, {
          label: `step ${index + 1}`,
          command,
        });
      }
      if (setup.probeIntervalMs !== undefined) {
        await call('PATCH', `/v1/apps/${name}/settings/startup-probe`, {
          intervalMs: setup.probeIntervalMs,
        });
      }
    },

    /** Triggers a deployment; `sentAt`/`acceptedAt` bracket the POST on the wall clock. */
    async deploy(app: string, image: string) {
      const sentAt = wallNow();
      const deployment = await call<{ id: string }>('POST', `/v1/apps/${app}/deployments`, {
        image,
      });
      return { id: deployment.id, sentAt, acceptedAt: wallNow() };
    },

    /** A deploy token for the given apps; returns the secret. */
    async createDeployToken(name: string, apps: readonly string[]): Promise<string> {
      const created = await call<{ token: string }>('POST', '/v1/tokens', {
        name,
        scope: 'deploy',
        apps,
      });
      return created.token;
    },

    /** Rolls back to the release before the live one; `sentAt` as for deploy. */
    async rollback(app: string) {
      const sentAt = wallNow();
      const deployment = await call<{ id: string }>('POST', `/v1/apps/${app}/rollback`, {});
      return { id: deployment.id, sentAt, acceptedAt: wallNow() };
    },

    cancel: (id: string) => call('POST', `/v1/deployments/${id}/cancel`),

    release: (app: string) =>
      call<{ hostPort: number; containerId: string }>('GET', `/v1/apps/${app}/release`),
  };
}

export type SlipwayClient = ReturnType<typeof createClient>;

export interface StepTiming {
  kind: 'pull' | 'release_command' | 'start' | 'probe' | 'activate' | 'route' | 'retire';
  status: string;
  startedAt: number | null;
  finishedAt: number | null;
}

export interface DeploymentTiming {
  id: string;
  status: string;
  failureReason: string | null;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number;
  steps: StepTiming[];
}

const terminal = new Set(['succeeded', 'failed', 'cancelled']);

/**
 * Waits for a deployment to finish by reading its row (not through the API, which would add load
 * to what is measured) and returns the timestamps Slipway itself recorded.
 */
export async function waitForDeployment(
  env: BenchEnvironment,
  id: string,
  timeoutMs: number,
): Promise<DeploymentTiming> {
  await pollUntil(`deployment ${id} finishing`, timeoutMs, 20, async () => {
    const result = await env.db.query<{ status: string }>(
      'SELECT status FROM deployments WHERE id = $1',
      [id],
    );
    const status = result.rows[0]?.status;
    return status !== undefined && terminal.has(status) ? true : undefined;
  });
  return readDeploymentTiming(env, id);
}

export async function readDeploymentTiming(
  env: BenchEnvironment,
  id: string,
): Promise<DeploymentTiming> {
  const deployment = await env.db.query<{
    status: string;
    failure_reason: string | null;
    created_at: Date;
    started_at: Date | null;
    finished_at: Date | null;
  }>(
    'SELECT status, failure_reason, created_at, started_at, finished_at FROM deployments WHERE id = $1',
    [id],
  );
  const row = deployment.rows[0];
  if (row === undefined) throw new Error(`deployment ${id} vanished`);
  const steps = await env.db.query<{
    kind: StepTiming['kind'];
    status: string;
    started_at: Date | null;
    finished_at: Date | null;
  }>(
    'SELECT kind, status, started_at, finished_at FROM deployment_steps WHERE deployment_id = $1 ORDER BY position',
    [id],
  );
  return {
    id,
    status: row.status,
    failureReason: row.failure_reason,
    createdAt: row.created_at.getTime(),
    startedAt: row.started_at?.getTime() ?? null,
    finishedAt: row.finished_at?.getTime() ?? Number.NaN,
    steps: steps.rows.map((step) => ({
      kind: step.kind,
      status: step.status,
      startedAt: step.started_at?.getTime() ?? null,
      finishedAt: step.finished_at?.getTime() ?? null,
    })),
  };
}

/** Throws with the reason unless the deployment succeeded. */
export function expectSucceeded(timing: DeploymentTiming, what: string): void {
  if (timing.status !== 'succeeded') {
    throw new Error(
      `${what}: deployment ${timing.id} ${timing.status}: ${timing.failureReason ?? '?'}`,
    );
  }
}

/** Deploys and waits; the usual warm-up and set-up move. */
export async function deployAndWait(
  env: BenchEnvironment,
  client: SlipwayClient,
  app: string,
  image: string,
  timeoutMs = 120_000,
): Promise<DeploymentTiming> {
  const { id } = await client.deploy(app, image);
  const timing = await waitForDeployment(env, id, timeoutMs);
  expectSucceeded(timing, `deploying ${image} to ${app}`);
  return timing;
}

/** Milliseconds spent in steps of one kind (summed: there may be several release commands). */
export function stepTime(timing: DeploymentTiming, kind: StepTiming['kind']): number {
  return timing.steps
    .filter((step) => step.kind === kind)
    .reduce(
      (sum, step) => sum + ((step.finishedAt ?? Number.NaN) - (step.startedAt ?? Number.NaN)),
      0,
    );
}

export function firstStep(timing: DeploymentTiming, kind: StepTiming['kind']): StepTiming {
  const step = timing.steps.find((candidate) => candidate.kind === kind);
  if (step === undefined) throw new Error(`deployment ${timing.id} has no ${kind} step`);
  return step;
}
