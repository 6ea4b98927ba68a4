/**
 * 2. Readiness detection: from the moment the web server began listening (it records that itself,
 * to the microsecond) to the probe step having succeeded, against a script polling every 10 ms.
 */
import type { Benchmark, BenchContext } from './lib/context.js';
import { floorPollIntervalMs } from './lib/docker-floor.js';
import { benchImages } from './lib/environment.js';
import { pick } from './lib/options.js';
import { readReadyStamp } from './lib/ready-stamp.js';
import { deployAndWait, firstStep, startWorker } from './lib/slipway.js';

async function measureSlipway(
  context: BenchContext,
  app: string,
  rounds: number,
): Promise<number[]> {
  const { client, env } = context;
  const delays: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const timing = await deployAndWait(env, client, app, benchImages.small);
    const release = await client.release(app);
    const listeningAt = await readReadyStamp(release.hostPort);
    delays.push((firstStep(timing, 'probe').finishedAt ?? Number.NaN) - listeningAt);
  }
  return delays;
}

export const readiness: Benchmark = {
  id: 'readiness',
  title: '2. Readiness detection (server listening -> probe step succeeded)',
  async run(context) {
    const { options, env, client, floor, section } = context;
    const rounds = pick(options, { smoke: 1, full: 10 });
    const worker = startWorker(env, 4, 'worker-readiness');
    try {
      await client.createApp('ready-default');
      await client.createApp('ready-fast', { probeIntervalMs: 50 });
      // Warm-up deployments: the first of a fresh worker pays for connections and JIT.
      await deployAndWait(env, client, 'ready-default', benchImages.small);
      await deployAndWait(env, client, 'ready-fast', benchImages.small);

      const floorDelays: number[] = [];
      let previous: string | null = null;
      for (let round = 0; round < rounds; round++) {
        context.progress(`floor round ${round + 1}/${rounds}`);
        const result = await floor.deploy({
          image: benchImages.small,
          releaseCommands: [],
          previousContainerId: previous,
        });
        previous = result.containerId;
        floorDelays.push(result.readyAt - (await readReadyStamp(result.hostPort)));
      }
      if (previous !== null) await floor.remove(previous);

      context.progress(`Slipway rounds (${rounds} per setting)`);
      const defaults = await measureSlipway(context, 'ready-default', rounds);
      const fast = await measureSlipway(context, 'ready-fast', rounds);
      const floorBaseline = { name: 'floor', values: floorDelays };
      section.add('Slipway, default probe (interval 200 ms)', 'ms', defaults, floorBaseline);
      section.add('Slipway, probe interval 50 ms', 'ms', fast, floorBaseline);
      section.add(`floor (poll every ${floorPollIntervalMs} ms)`, 'ms', floorDelays);
      section.note(
        'Listening time: the fixture records it with adjtimex (us) just before exec httpd and serves it at /ready-at. Slipway side ends at the probe step finished_at (ms, written by the worker); floor side at the first HTTP 200 its poll saw.',
      );
    } finally {
      await worker.stop();
    }
  },
};
