/**
 * 4. API: autocannon at 50 connections on GET settings and POST deployments with a deploy token
 * (no worker running, so deployments stay queued), against two baselines on the same database: a
 * bare Fastify + pg primary-key read, and a Fastify + pg server doing the same SQL work
 * (bench/servers/bare-pg-server.ts).
 */
import { cpus } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { pollUntil } from './lib/clock.js';
import type { Benchmark, BenchContext } from './lib/context.js';
import { benchImages, repoRoot } from './lib/environment.js';
import { pick } from './lib/options.js';
import { spawnLogged } from './lib/processes.js';
import { freePort } from './lib/slipway.js';

interface Target {
  name: string;
  url: string;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
}

interface Sample {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

async function load(target: Target, seconds: number): Promise<Sample> {
  const result = await autocannon({
    url: target.url,
    method: target.method,
    headers: target.headers,
    ...(target.body === undefined ? {} : { body: target.body }),
    connections: 50,
    duration: seconds,
  });
  return {
    requestsPerSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  };
}

async function startBareServer(
  context: BenchContext,
): Promise<{ url: string; stop: () => Promise<void> }> {
  const { env } = context;
  const port = await freePort();
  const child = env.track(
    spawnLogged(
      'bare-pg-server',
      ['--import', 'tsx', join(repoRoot, 'bench/servers/bare-pg-server.ts')],
      {
        cwd: repoRoot,
        env: {
          PATH: process.env.PATH,
          DATABASE_URL: env.databaseUrl,
          REDIS_URL: env.redisUrl,
          PORT: String(port),
          NODE_ENV: 'production',
        },
        logFile: join(env.workDir, 'bare-pg-server.log'),
      },
    ),
  );
  const url = `http://127.0.0.1:${port}`;
  await pollUntil('bare server listening', 30_000, 100, async () => {
    if (!child.isRunning()) throw new Error(`bare server exited:\n${child.logTail()}`);
    try {
      const response = await fetch(`${url}/apps/00000000-0000-0000-0000-000000000000`);
      await response.arrayBuffer();
      return true;
    } catch {
      return undefined;
    }
  });
  return { url, stop: () => child.stop() };
}

/** The same-work server's queue prefix (bench/servers/bare-pg-server.ts). */
const sameWorkQueuePrefix = 'slipway-bench-same-work';

/** Queued deployments of the POST runs must never reach a worker: cancel the rows, drop the jobs. */
export async function discardQueued(context: BenchContext): Promise<void> {
  await context.env.db.query(
    "UPDATE deployments SET status = 'cancelled', finished_at = now(), failure_reason = 'benchmark load' WHERE status = 'queued'",
  );
  const connection = new Redis(context.env.redisUrl, { maxRetriesPerRequest: null });
  const queue = new Queue('deployments', { connection });
  const sameWork = new Queue('deployments', { connection, prefix: sameWorkQueuePrefix });
  try {
    await queue.drain(true);
    await sameWork.obliterate({ force: true });
  } finally {
    await queue.close();
    await sameWork.close();
    connection.disconnect();
  }
}

const pkName = 'bare Fastify + pg, GET by primary key';
const sameGetName = 'same-work Fastify + pg, GET settings';
const samePostName = 'same-work Fastify + pg, POST deployment';

export const apiThroughput: Benchmark = {
  id: 'api',
  title: '4. API throughput (autocannon, 50 connections)',
  async run(context) {
    const { options, env, api, client, section } = context;
    const seconds = pick(options, { smoke: 1, full: 10 });
    const rounds = pick(options, { smoke: 1, full: 3 });
    await client.createApp('api-load', { releaseCommands: ['true'] });
    const app = await env.db.query<{ id: string }>(
      "SELECT id FROM applications WHERE name = 'api-load'",
    );
    const appId = app.rows[0]?.id;
    if (appId === undefined) throw new Error('api-load app missing');

    // A deploy token, as CI uses: authentication looks it up and authorization needs the app.
    const token = await client.createDeployToken('api-load', ['api-load']);
    const bare = await startBareServer(context);
    const auth = { authorization: `Bearer ${token}` };
    const post = {
      method: 'POST' as const,
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ image: benchImages.small }),
    };
    const targets: Target[] = [
      {
        name: pkName,
        url: `${bare.url}/apps/${appId}`,
        method: 'GET',
        headers: {},
      },
      {
        name: sameGetName,
        url: `${bare.url}/same-work/apps/api-load/settings`,
        method: 'GET',
        headers: auth,
      },
      {
        name: 'Slipway GET /v1/apps/{app}/settings',
        url: `${api.baseUrl}/v1/apps/api-load/settings`,
        method: 'GET',
        headers: auth,
      },
      { name: samePostName, url: `${bare.url}/same-work/apps/api-load/deployments`, ...post },
      {
        name: 'Slipway POST /v1/apps/{app}/deployments',
        url: `${api.baseUrl}/v1/apps/api-load/deployments`,
        ...post,
      },
    ];
    const samples = new Map<string, Sample[]>(targets.map((target) => [target.name, []]));
    try {
      context.progress('warming up');
      for (const target of targets) await load(target, pick(options, { smoke: 1, full: 3 }));
      for (let round = 0; round < rounds; round++) {
        for (const target of targets) {
          context.progress(`round ${round + 1}/${rounds}: ${target.name}`);
          samples.get(target.name)?.push(await load(target, seconds));
        }
      }
    } finally {
      await bare.stop();
      await discardQueued(context);
    }

    const of = (name: string, metric: keyof Sample) =>
      (samples.get(name) ?? []).map((sample) => sample[metric]);
    const pairs = [
      { slipway: 'Slipway GET /v1/apps/{app}/settings', same: sameGetName },
      { slipway: 'Slipway POST /v1/apps/{app}/deployments', same: samePostName },
    ];
    for (const { slipway, same } of pairs) {
      for (const [metric, label, unit] of [
        ['requestsPerSecond', 'throughput', 'req/s'],
        ['p50', 'latency p50', 'ms'],
        ['p99', 'latency p99', 'ms'],
      ] as const) {
        section.add(`${slipway}: ${label}`, unit, of(slipway, metric), {
          name: 'same work',
          values: of(same, metric),
        });
      }
      section.add(
        `${slipway}: throughput vs bare PK read`,
        'req/s',
        of(slipway, 'requestsPerSecond'),
        {
          name: 'bare PK',
          values: of(pkName, 'requestsPerSecond'),
        },
      );
    }
    for (const name of [sameGetName, samePostName, pkName]) {
      section.add(`${name}: throughput`, 'req/s', of(name, 'requestsPerSecond'));
      section.add(`${name}: latency p50`, 'ms', of(name, 'p50'));
      section.add(`${name}: latency p99`, 'ms', of(name, 'p99'));
    }
    for (const [name, list] of samples) {
      const failed = list.reduce((sum, sample) => sum + sample.errors + sample.non2xx, 0);
      if (failed > 0) section.note(`${name}: ${failed} requests failed or were not 2xx`);
    }
    section.note(
      `Each round: ${seconds} s per target, targets interleaved, after a warm-up. autocannon runs in the benchmark process on the same ${String(cpus().length)}-CPU machine as the server and PostgreSQL, so all three compete for CPU; the ratio is the comparable part. Requests carry a deploy token for the app. Same work: plain pg, one statement each for the token (by hash, with its apps), the app (by name, with its settings) and its release commands; a trigger also reads the environment variables, inserts the deployment row and adds the BullMQ job (no audit entry, idempotency or webhook events). POST runs with no worker: each request stores a queued deployment (Slipway: with an audit entry) and a BullMQ job (cancelled and drained afterwards).`,
    );
  },
};
