import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { z } from 'zod';
import { deploymentQueueName } from '../../src/queue/deployment-queue.js';
import { createApp, expectJson, expectProblem } from '../api/helpers.js';
import { startRedisProcess, type RedisProcess } from '../support/redis-process.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

/**
 * Issue 11, item 17: a trigger that got a 503 because Redis was down must not bind its
 * Idempotency-Key. After Redis is back, the same request creates and queues a deployment.
 */

let redis: RedisProcess;
let t: TestServer;
const app = 'retry-app';
const deploymentBody = z.object({ id: z.uuid(), status: z.string() }).loose();

beforeAll(async () => {
  redis = await startRedisProcess();
  t = await startTestServer({ redisUrl: redis.url });
  await createApp(t.server, app);
}, 60_000);

afterAll(async () => {
  await t.close();
  await redis.stop();
});

function trigger(key: string) {
  return t.server.inject({
    method: 'POST',
    url: `/v1/apps/${app}/deployments`,
    headers: { 'idempotency-key': key },
    payload: { image: '127.0.0.1:5000/slipway-fixtures/web:v1' },
  });
}

async function isQueued(deploymentId: string): Promise<boolean> {
  const client = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await client.connect();
    return (await client.exists(`${t.redisPrefix}:${deploymentQueueName}:${deploymentId}`)) === 1;
  } finally {
    client.disconnect();
  }
}

/** Bounded: the API's connection reconnects by itself; at most 50 tries, 200 ms apart. */
async function waitUntilReady(): Promise<void> {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const res = await t.server.inject({ method: 'GET', url: '/readyz' });
    if (res.statusCode === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error('the API never became ready again');
}

test('the retry after a 503 creates and queues a deployment; a later retry replays it', async () => {
  await redis.stop();
  const failed = await trigger('k-1');
  expectProblem(failed, 503, 'DEPENDENCY_UNAVAILABLE');
  // The failed attempt is still on record, without the key.
  const rows = await t.db.deployment.findMany({ where: { application: { name: app } } });
  expect(rows.map((row) => [row.status, row.idempotencyKey])).toEqual([['failed', null]]);

  await redis.restart();
  await waitUntilReady();
  const retried = expectJson(await trigger('k-1'), 202, deploymentBody);
  expect(retried.status).toBe('queued');
  expect(retried.id).not.toBe(rows[0]?.id);
  expect(await isQueued(retried.id)).toBe(true);

  // Control: once a deployment was queued, the key is bound: the same request replays it.
  const replayed = expectJson(await trigger('k-1'), 200, deploymentBody);
  expect(replayed.id).toBe(retried.id);
}, 60_000);
