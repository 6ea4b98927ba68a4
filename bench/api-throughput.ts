/**
 * 4. API: autocannon at 50 connections on GET settings and POST deployments (no worker running,
 * so deployments stay queued), against a bare Fastify + pg route on the same database.
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

/** Queued deployments of the POST runs must never reach a worker: cancel the rows, drop the jobs. */
async function discardQueued(context: BenchContext): Promise<void> {
  await context.env.db.query(
    "UPDATE deployments SET status = 'cancelled', finished_at = now(), failure_reason = 'benchmark load' WHERE status = 'queued'",
  );
  const connection = new Redis(context.env.redisUrl, { maxRetriesPerRequest: null });
  const queue = new Queue('deployments', { connection });
  try {
    await queue.drain(true);
  } finally {
    await queue.close();
    connection.disconnect();
  }
}

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

    const bare = await startBareServer(context);
    const auth = { authorization: `Bearer ${env.adminToken}` };
    const targets: Target[] = [
      {
        name: 'bare Fastify + pg, GET by primary key',
        url: `${bare.url}/apps/${appId}`,
        method: 'GET',
        headers: {},
      },
      {
        name: 'Slipway GET /v1/apps/{app}/settings',
        url: `${api.baseUrl}/v1/apps/api-load/settings`,
        method: 'GET',
        headers: auth,
      },
      {
        name: 'Slipway POST /v1/apps/{app}/deployments',
        url: `${api.baseUrl}/v1/apps/api-load/deployments`,
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ image: benchImages.small }),
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

    const [bareTarget, ...slipwayTargets] = targets;
    const bareSamples = samples.get(bareTarget?.name ?? '') ?? [];
    const of = (list: Sample[], metric: keyof Sample) => list.map((sample) => sample[metric]);
    for (const target of slipwayTargets) {
      const list = samples.get(target.name) ?? [];
      section.add(`${target.name}: throughput`, 'req/s', of(list, 'requestsPerSecond'), {
        name: 'bare',
        values: of(bareSamples, 'requestsPerSecond'),
      });
      section.add(`${target.name}: latency p50`, 'ms', of(list, 'p50'), {
        name: 'bare',
        values: of(bareSamples, 'p50'),
      });
      section.add(`${target.name}: latency p99`, 'ms', of(list, 'p99'), {
        name: 'bare',
        values: of(bareSamples, 'p99'),
      });
    }
    section.add('bare Fastify + pg: throughput', 'req/s', of(bareSamples, 'requestsPerSecond'));
    section.add('bare Fastify + pg: latency p50', 'ms', of(bareSamples, 'p50'));
    section.add('bare Fastify + pg: latency p99', 'ms', of(bareSamples, 'p99'));
    for (const [name, list] of samples) {
      const failed = list.reduce((sum, sample) => sum + sample.errors + sample.non2xx, 0);
      if (failed > 0) section.note(`${name}: ${failed} requests failed or were not 2xx`);
    }
    section.note(
      `Each round: ${seconds} s per target, targets interleaved, after a warm-up. autocannon runs in the benchmark process on the same ${String(cpus().length)}-CPU machine as the server and PostgreSQL, so all three compete for CPU; the ratio is the comparable part. POST runs with no worker: each request stores a queued deployment, an audit entry and a BullMQ job (cancelled and drained afterwards).`,
    );
  },
};
