/**
 * 6. Concurrency: N apps deploying at once, with WORKER_CONCURRENCY 1, 4 and 8, against the floor
 * doing the same N deployments with the same number in parallel.
 */
import { dockerCli } from '../test/support/docker-fixtures.js';
import { wallNow } from './lib/clock.js';
import type { Benchmark, BenchContext } from './lib/context.js';
import { benchImages } from './lib/environment.js';
import { pick } from './lib/options.js';
import {
  deployAndWait,
  startWorker,
  waitForDeployment,
  type DeploymentTiming,
} from './lib/slipway.js';

/** Runs tasks with at most `limit` at a time. */
async function inParallel<T>(count: number, limit: number, task: (index: number) => Promise<T>) {
  const results: T[] = [];
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, count) }, async () => {
    while (next < count) {
      const index = next++;
      results[index] = await task(index);
    }
  });
  await Promise.all(lanes);
  return results;
}

/** Removes the web containers of apps that are done with (their rows stay; nobody reads them). */
async function removeAppContainers(context: BenchContext, apps: readonly string[]): Promise<void> {
  const ids: string[] = [];
  for (const app of apps) {
    const output = await dockerCli([
      'ps',
      '-aq',
      '--no-trunc',
      '--filter',
      `label=io.slipway.instance=${context.env.instance}`,
      '--filter',
      `label=io.slipway.app=${app}`,
    ]);
    ids.push(...output.split('\n').filter((line) => line !== ''));
  }
  if (ids.length > 0) await dockerCli(['rm', '-f', ...ids]);
}

async function slipwayRound(context: BenchContext, apps: readonly string[]) {
  const { client, env } = context;
  for (const app of apps) await client.createApp(app, { releaseCommands: ['true'] });
  const startedAt = wallNow();
  const triggered = await Promise.all(apps.map((app) => client.deploy(app, benchImages.small)));
  const timings = await Promise.all(triggered.map(({ id }) => waitForDeployment(env, id, 600_000)));
  const wall = Math.max(...timings.map((timing) => timing.finishedAt)) - startedAt;
  const failed = timings.filter((timing) => timing.status !== 'succeeded');
  await removeAppContainers(context, apps);
  return {
    wall,
    largestGap: largestIdleGap(timings),
    slowest: describeSlowest(timings),
    failed: failed.map((timing) => `${timing.status}: ${timing.failureReason ?? '?'}`),
  };
}

/** Where the slowest deployment of a round spent its time, to tell a stall from steady cost. */
function describeSlowest(timings: readonly DeploymentTiming[]): { ms: number; text: string } {
  let slowest: DeploymentTiming | undefined;
  for (const timing of timings) {
    const ms = timing.finishedAt - timing.createdAt;
    if (slowest === undefined || ms > slowest.finishedAt - slowest.createdAt) slowest = timing;
  }
  if (slowest === undefined) return { ms: Number.NaN, text: '' };
  const from = slowest.createdAt;
  const waited = (slowest.startedAt ?? Number.NaN) - from;
  const steps = slowest.steps.map(
    (step) =>
      `${step.kind} ${((step.finishedAt ?? Number.NaN) - (step.startedAt ?? Number.NaN)).toFixed(0)}`,
  );
  return {
    ms: slowest.finishedAt - from,
    text: `queued ${waited.toFixed(0)} · ${steps.join(' · ')}`,
  };
}

/**
 * The longest time between one deployment finishing and the next one starting. With one worker
 * slot and a full queue, anything beyond a few milliseconds is time lost between jobs.
 */
function largestIdleGap(timings: readonly DeploymentTiming[]): number {
  const ordered = [...timings].sort((a, b) => (a.startedAt ?? 0) - (b.startedAt ?? 0));
  let largest = 0;
  for (const [index, current] of ordered.entries()) {
    const previous = ordered[index - 1];
    if (previous === undefined) continue;
    largest = Math.max(largest, (current.startedAt ?? Number.NaN) - previous.finishedAt);
  }
  return largest;
}

async function floorRound(context: BenchContext, count: number, parallel: number): Promise<number> {
  const startedAt = wallNow();
  const results = await inParallel(count, parallel, () =>
    context.floor.deploy({
      image: benchImages.small,
      releaseCommands: ['true'],
      previousContainerId: null,
    }),
  );
  const wall = wallNow() - startedAt;
  for (const result of results) await context.floor.remove(result.containerId);
  return wall;
}

export const concurrency: Benchmark = {
  id: 'concurrency',
  title: '6. Concurrency (apps deploying at once, 1 release command each)',
  async run(context) {
    const { options, env, client, section } = context;
    const appCount = pick(options, { smoke: 2, full: 20 });
    const rounds = pick(options, { smoke: 1, full: 3 });
    const unsuccessful: string[] = [];
    for (const workerConcurrency of [1, 4, 8]) {
      const worker = startWorker(env, workerConcurrency, `worker-concurrency-${workerConcurrency}`);
      try {
        const warmUp = `conc-${workerConcurrency}-warm-up`;
        await client.createApp(warmUp);
        await deployAndWait(env, client, warmUp, benchImages.small);
        await removeAppContainers(context, [warmUp]);
        const walls: number[] = [];
        const floorWalls: number[] = [];
        const gaps: number[] = [];
        let slowest = { ms: 0, text: '' };
        const failures: string[] = [];
        for (let round = 0; round < rounds; round++) {
          context.progress(`WORKER_CONCURRENCY=${workerConcurrency}, round ${round + 1}/${rounds}`);
          // Fresh apps each round: every deployment is a first one, the same work each round.
          const apps = Array.from(
            { length: appCount },
            (_, index) => `conc-${workerConcurrency}-${round}-${index}`,
          );
          const measured = await slipwayRound(context, apps);
          walls.push(measured.wall);
          gaps.push(measured.largestGap);
          if (measured.slowest.ms > slowest.ms) slowest = measured.slowest;
          failures.push(...measured.failed);
          floorWalls.push(await floorRound(context, appCount, workerConcurrency));
        }
        const label = `${appCount} apps, WORKER_CONCURRENCY=${workerConcurrency}`;
        section.add(`${label}: Slipway`, 'ms', walls, {
          name: `floor, ${workerConcurrency} at a time`,
          values: floorWalls,
        });
        section.add(`${label}: floor, ${workerConcurrency} at a time`, 'ms', floorWalls);
        if (workerConcurrency === 1) {
          section.add(`${label}: largest idle gap between deployments`, 'ms', gaps);
        }
        const total = rounds * appCount;
        const reasons = [...new Set(failures)].join('; ');
        section.note(
          `WORKER_CONCURRENCY=${workerConcurrency}: ${total - failures.length} of ${total} deployments succeeded${failures.length === 0 ? '' : ` (${reasons})`}; slowest single deployment ${slowest.ms.toFixed(0)} ms (${slowest.text})`,
        );
        if (failures.length > 0) {
          unsuccessful.push(`${failures.length} at WORKER_CONCURRENCY=${workerConcurrency}`);
        }
      } finally {
        await worker.stop();
      }
    }
    section.note(
      'Wall time: first POST sent -> last deployment finished_at; apps are created beforehand.',
    );
    if (unsuccessful.length > 0) {
      throw new Error(`not every deployment succeeded: ${unsuccessful.join(', ')}`);
    }
  },
};
