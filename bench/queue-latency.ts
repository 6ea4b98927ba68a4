/**
 * 3. Queue latency: POST accepted (202 received) -> pull step started, for an idle worker, against
 * a bare BullMQ round trip (add -> processor running) on the same Redis.
 */
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { pollUntil, sleep, wallNow } from './lib/clock.js';
import type { Benchmark } from './lib/context.js';
import type { BenchEnvironment } from './lib/environment.js';
import { benchImages } from './lib/environment.js';
import { pick } from './lib/options.js';
import {
  deployAndWait,
  expectSucceeded,
  firstStep,
  startWorker,
  waitForDeployment,
} from './lib/slipway.js';

/** add() resolved -> processor called, with a worker idle on its own connection. */
async function bareBullmq(env: BenchEnvironment, rounds: number): Promise<number[]> {
  const queueConnection = new Redis(env.redisUrl, { maxRetriesPerRequest: null });
  const workerConnection = new Redis(env.redisUrl, { maxRetriesPerRequest: null });
  const prefix = 'slipway-bench-bare';
  const started = new Map<string, number>();
  const queue = new Queue('bare', { connection: queueConnection, prefix });
  const worker = new Worker(
    'bare',
    async (job) => {
      started.set(job.id ?? '', wallNow());
    },
    { connection: workerConnection, prefix, concurrency: 4 },
  );
  try {
    await worker.waitUntilReady();
    const latencies: number[] = [];
    for (let round = 0; round < rounds + 1; round++) {
      await sleep(200);
      const id = `round-${round}`;
      await queue.add('job', {}, { jobId: id, removeOnComplete: true });
      const addedAt = wallNow();
      const ranAt = await pollUntil('bare BullMQ job running', 10_000, 2, () =>
        Promise.resolve(started.get(id)),
      );
      // The first round warms the connections up and is not counted.
      if (round > 0) latencies.push(ranAt - addedAt);
    }
    return latencies;
  } finally {
    await worker.close();
    await queue.obliterate({ force: true });
    await queue.close();
    queueConnection.disconnect();
    workerConnection.disconnect();
  }
}

export const queueLatency: Benchmark = {
  id: 'queue',
  title: '3. Queue latency (POST accepted -> pull step started, idle worker)',
  async run(context) {
    const { options, env, client, section } = context;
    const rounds = pick(options, { smoke: 1, full: 10 });
    const worker = startWorker(env, 4, 'worker-queue');
    try {
      await client.createApp('queue');
      await deployAndWait(env, client, 'queue', benchImages.small);
      const fromAccepted: number[] = [];
      const fromSent: number[] = [];
      for (let round = 0; round < rounds; round++) {
        context.progress(`round ${round + 1}/${rounds}`);
        // Idle means idle: nothing of the previous deployment is still being wrapped up.
        await sleep(500);
        const { id, sentAt, acceptedAt } = await client.deploy('queue', benchImages.small);
        const timing = await waitForDeployment(env, id, 120_000);
        expectSucceeded(timing, 'queue latency');
        const pullStarted = firstStep(timing, 'pull').startedAt ?? Number.NaN;
        fromAccepted.push(pullStarted - acceptedAt);
        fromSent.push(pullStarted - sentAt);
      }
      const bare = await bareBullmq(env, rounds);
      section.add('Slipway: 202 received -> pull started', 'ms', fromAccepted, {
        name: 'bare BullMQ',
        values: bare,
      });
      section.add('Slipway: POST sent -> pull started', 'ms', fromSent);
      section.add('bare BullMQ: add() resolved -> processor running', 'ms', bare);
      section.note(
        'Slipway side: the pull step started_at written by the worker (ms precision), so it covers the BullMQ hop, the claim transaction and the step rows. It can be below zero when the worker is faster than the 202 travels back. Bare BullMQ: Queue and Worker (concurrency 4) in the benchmark process on the same Redis.',
      );
    } finally {
      await worker.stop();
    }
  },
};
