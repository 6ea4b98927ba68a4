/**
 * 7. SQL statements per request and per deployment: a second API and a worker connected through
 * counting proxies (bench/lib/pg-counting-proxy.ts), so what each process sends is counted
 * exactly. Untimed: the proxy hop would distort the timings, which the other benchmarks take.
 */
import { discardQueued } from './api-throughput.js';
import { sleep } from './lib/clock.js';
import type { Benchmark, BenchContext } from './lib/context.js';
import { benchImages } from './lib/environment.js';
import { pick } from './lib/options.js';
import { startCountingProxy, type CountingProxy } from './lib/pg-counting-proxy.js';
import {
  createClient,
  expectSucceeded,
  startApi,
  startWorker,
  waitForDeployment,
} from './lib/slipway.js';

/** Statements the proxy saw while `work` ran, divided by `per`. */
async function countDuring(
  proxy: CountingProxy,
  per: number,
  work: () => Promise<void>,
): Promise<number> {
  const before = proxy.statements();
  await work();
  return (proxy.statements() - before) / per;
}

async function countRequests(
  context: BenchContext,
  apiProxy: CountingProxy,
  requests: number,
): Promise<void> {
  const { env, section } = context;
  const api = await startApi(env, 'api-sql', { env: { DATABASE_URL: apiProxy.url } });
  try {
    const admin = createClient(api.baseUrl, env.adminToken);
    await admin.createApp('sql-count', { releaseCommands: ['true'] });
    const token = await admin.createDeployToken('sql-count', ['sql-count']);
    const headers = { authorization: `Bearer ${token}` };
    const call = async (method: string, path: string, body?: unknown) => {
      const response = await fetch(`${api.baseUrl}${path}`, {
        method,
        headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      await response.arrayBuffer();
      if (!response.ok) throw new Error(`${method} ${path}: HTTP ${response.status}`);
    };
    // Warm-up: the first use of a token may write lastUsedAt; later ones within a minute must not.
    await call('GET', '/v1/apps/sql-count/settings');
    await call('POST', '/v1/apps/sql-count/deployments', { image: benchImages.small });
    await sleep(200);
    const idle = await countDuring(apiProxy, 1, () => sleep(1000));
    const get = await countDuring(apiProxy, requests, async () => {
      for (let index = 0; index < requests; index++) {
        await call('GET', '/v1/apps/sql-count/settings');
      }
    });
    const post = await countDuring(apiProxy, requests, async () => {
      for (let index = 0; index < requests; index++) {
        await call('POST', '/v1/apps/sql-count/deployments', { image: benchImages.small });
      }
      // Webhook event lookups run after the answer: let them land in the count.
      await sleep(300);
    });
    section.add('API: statements per GET /v1/apps/{app}/settings', 'stmts', [get]);
    section.add('API: statements per POST /v1/apps/{app}/deployments', 'stmts', [post]);
    section.add('API: statements per second when idle (control)', 'stmts', [idle]);
    section.note(
      `API: ${String(requests)} sequential requests each with a deploy token, after one warm-up request of each kind; the idle control shows what runs in the background meanwhile.`,
    );
  } finally {
    await api.child.stop();
    await discardQueued(context);
  }
}

async function countDeployments(
  context: BenchContext,
  workerProxy: CountingProxy,
  rounds: number,
): Promise<void> {
  const { env, client, section } = context;
  const worker = startWorker(env, 4, 'worker-sql', { env: { DATABASE_URL: workerProxy.url } });
  try {
    for (const [key, commands] of [
      ['one', ['true']],
      ['five', ['true', 'true', 'true', 'true', 'true']],
    ] as const) {
      const app = `sql-${key}`;
      await client.createApp(app, { releaseCommands: commands });
      const deployOnce = async () => {
        const { id } = await client.deploy(app, benchImages.small);
        const timing = await waitForDeployment(env, id, 120_000);
        expectSucceeded(timing, `statement count (${key})`);
        // Webhook events and the last log flush are written after finished_at.
        await sleep(500);
      };
      await deployOnce();
      const perDeployment = await countDuring(workerProxy, rounds, async () => {
        for (let round = 0; round < rounds; round++) await deployOnce();
      });
      section.add(
        `worker: statements per deployment, ${String(commands.length)} release command${commands.length === 1 ? '' : 's'}`,
        'stmts',
        [perDeployment],
      );
    }
    const idle = await countDuring(workerProxy, 1, () => sleep(1000));
    section.add('worker: statements per second when idle (control)', 'stmts', [idle]);
    section.note(
      `Worker (concurrency 4): ${String(rounds)} redeployments of the small image per row after a warm-up, counted from the trigger until 500 ms after finished_at (includes that much idle background work: see the control).`,
    );
  } finally {
    await worker.stop();
  }
}

export const sqlStatements: Benchmark = {
  id: 'sql',
  title: '7. SQL statements (counted at the PostgreSQL wire protocol)',
  async run(context) {
    const { options, env } = context;
    const apiProxy = await startCountingProxy(env.databaseUrl);
    const workerProxy = await startCountingProxy(env.databaseUrl);
    try {
      await countRequests(context, apiProxy, pick(options, { smoke: 10, full: 50 }));
      await countDeployments(context, workerProxy, pick(options, { smoke: 1, full: 3 }));
    } finally {
      await apiProxy.close();
      await workerProxy.close();
    }
  },
};
