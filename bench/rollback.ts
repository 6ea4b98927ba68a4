/**
 * 7. Rollback: POST .../rollback → succeeded when the target's container is retained (started
 * again: no pull, no container creation), against a full deploy of the same image, in the same
 * run and interleaved rounds so drift hits both alike.
 */
import type { Benchmark } from './lib/context.js';
import { benchImages } from './lib/environment.js';
import { pick } from './lib/options.js';
import { deployAndWait, expectSucceeded, startWorker, waitForDeployment } from './lib/slipway.js';

export const rollbackBench: Benchmark = {
  id: 'rollback',
  title: '7. Rollback with a retained container vs. a full deploy of the same image',
  async run(context) {
    const { client, env, options, section } = context;
    const worker = startWorker(env, 2, 'worker-rollback');
    try {
      const app = 'rollback-bench';
      await client.createApp(app, { probeIntervalMs: 50, retainReleases: 2 });
      // Warm-up, untimed: a live release and one retained before it.
      await deployAndWait(env, client, app, benchImages.small);
      await deployAndWait(env, client, app, benchImages.small);
      const rounds = pick(options, { smoke: 1, full: 8 });
      const deployTimes: number[] = [];
      const rollbackTimes: number[] = [];
      for (let round = 0; round < rounds; round++) {
        context.progress(`round ${round + 1}/${rounds}`);
        const deployed = await client.deploy(app, benchImages.small);
        const deployTiming = await waitForDeployment(env, deployed.id, 120_000);
        expectSucceeded(deployTiming, 'full deploy');
        deployTimes.push(deployTiming.finishedAt - deployed.sentAt);
        // Back to the release just replaced: its container was stopped and kept.
        const rolled = await client.rollback(app);
        const rollbackTiming = await waitForDeployment(env, rolled.id, 120_000);
        expectSucceeded(rollbackTiming, 'rollback');
        rollbackTimes.push(rollbackTiming.finishedAt - rolled.sentAt);
      }
      section.add('rollback (retained container restarted)', 'ms', rollbackTimes, {
        name: 'full deploy',
        values: deployTimes,
      });
      section.add('full deploy of the same image', 'ms', deployTimes);
      section.note(
        'Both POST -> succeeded through the API and worker; the deploy pulls (a registry round trip even when the image is present) and creates a container, the rollback does neither. Probe interval 50 ms.',
      );
    } finally {
      await worker.stop();
    }
  },
};
