/**
 * 1. Deployment overhead: POST → succeeded through the real API and worker, against the floor
 * (the same Docker operations done directly), in interleaved rounds so drift hits both alike.
 */
import { removeLocalImage } from '../test/support/docker-fixtures.js';
import type { Benchmark, BenchContext } from './lib/context.js';
import { benchImages } from './lib/environment.js';
import { pick } from './lib/options.js';
import {
  deployAndWait,
  expectSucceeded,
  firstStep,
  startWorker,
  stepTime,
  waitForDeployment,
  type DeploymentTiming,
} from './lib/slipway.js';
import type { FloorResult } from './lib/docker-floor.js';

interface Scenario {
  key: string;
  title: string;
  image: string;
  releaseCommands: string[];
  /** The image is removed from the host before each round, so the pull downloads it. */
  cold: boolean;
  rounds: number;
}

const phaseNames = ['queue', 'pull', 'release', 'start', 'probe', 'activate', 'other'] as const;

function slipwayPhases(timing: DeploymentTiming, sentAt: number): Record<string, number> {
  const queue = (firstStep(timing, 'pull').startedAt ?? Number.NaN) - sentAt;
  const phases: Record<string, number> = {
    queue,
    pull: stepTime(timing, 'pull'),
    release: stepTime(timing, 'release_command'),
    start: stepTime(timing, 'start'),
    probe: stepTime(timing, 'probe'),
    activate: stepTime(timing, 'activate'),
  };
  const accounted = Object.values(phases).reduce((sum, value) => sum + value, 0);
  phases.other = timing.finishedAt - sentAt - accounted;
  return phases;
}

function floorPhases(result: FloorResult): Record<string, number> {
  return {
    pull: result.pulledAt - result.startedAt,
    release: result.releasedAt - result.pulledAt,
    start: result.containerStartedAt - result.releasedAt,
    probe: result.readyAt - result.containerStartedAt,
    retire: result.finishedAt - result.readyAt,
  };
}

function medianOf(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? Number.NaN)
    : ((sorted[middle - 1] ?? Number.NaN) + (sorted[middle] ?? Number.NaN)) / 2;
}

function describePhases(rounds: Record<string, number>[], names: readonly string[]): string {
  return names
    .map(
      (name) =>
        `${name} ${medianOf(rounds.map((phases) => phases[name] ?? Number.NaN)).toFixed(0)}`,
    )
    .join(' · ');
}

async function runScenario(context: BenchContext, scenario: Scenario): Promise<void> {
  const { client, env, floor, section } = context;
  const app = `overhead-${scenario.key}`;
  await client.createApp(app, { releaseCommands: scenario.releaseCommands });

  // Warm-up, untimed: both sides then have a previous web container to retire, as in a redeploy.
  await deployAndWait(env, client, app, benchImages.small);
  let floorPrevious = (
    await floor.deploy({
      image: benchImages.small,
      releaseCommands: scenario.releaseCommands,
      previousContainerId: null,
    })
  ).containerId;

  const slipwayTimes: number[] = [];
  const floorTimes: number[] = [];
  const overheads: number[] = [];
  const slipwayPhaseRounds: Record<string, number>[] = [];
  const floorPhaseRounds: Record<string, number>[] = [];

  for (let round = 0; round < scenario.rounds; round++) {
    context.progress(`${scenario.title}: round ${round + 1}/${scenario.rounds}`);
    // Cold rounds: the image is removed right before, and each side swaps its large container
    // back to the small image right after, so that nothing holds the image at the next removal.
    const runSlipway = async () => {
      if (scenario.cold) await removeLocalImage(scenario.image);
      const { id, sentAt } = await client.deploy(app, scenario.image);
      const timing = await waitForDeployment(env, id, 300_000);
      expectSucceeded(timing, scenario.title);
      slipwayTimes.push(timing.finishedAt - sentAt);
      slipwayPhaseRounds.push(slipwayPhases(timing, sentAt));
      if (scenario.cold) await deployAndWait(env, client, app, benchImages.small);
    };
    const runFloor = async () => {
      if (scenario.cold) await removeLocalImage(scenario.image);
      const result = await floor.deploy({
        image: scenario.image,
        releaseCommands: scenario.releaseCommands,
        previousContainerId: floorPrevious,
        timeoutMs: 300_000,
      });
      floorPrevious = result.containerId;
      floorTimes.push(result.finishedAt - result.startedAt);
      floorPhaseRounds.push(floorPhases(result));
      if (scenario.cold) {
        const small = {
          image: benchImages.small,
          releaseCommands: [],
          previousContainerId: floorPrevious,
        };
        floorPrevious = (await floor.deploy(small)).containerId;
      }
    };
    // Alternating who goes first cancels a steady drift (caches, load) between the two.
    if (round % 2 === 0) {
      await runSlipway();
      await runFloor();
    } else {
      await runFloor();
      await runSlipway();
    }
    const last = slipwayTimes.length - 1;
    overheads.push((slipwayTimes[last] ?? Number.NaN) - (floorTimes[last] ?? Number.NaN));
  }

  section.add(`${scenario.title}: Slipway`, 'ms', slipwayTimes, {
    name: 'floor',
    values: floorTimes,
  });
  section.add(`${scenario.title}: floor`, 'ms', floorTimes);
  section.add(`${scenario.title}: overhead (Slipway - floor)`, 'ms', overheads);
  section.note(
    `${scenario.title}, median ms per phase. Slipway: ${describePhases(slipwayPhaseRounds, phaseNames)}. Floor: ${describePhases(floorPhaseRounds, ['pull', 'release', 'start', 'probe', 'retire'])}`,
  );
  await floor.remove(floorPrevious);
}

export const deploymentOverhead: Benchmark = {
  id: 'deployment',
  title: '1. Deployment overhead (POST -> succeeded vs. the same Docker operations directly)',
  async run(context) {
    const { options, env, section } = context;
    const worker = startWorker(env, 4, 'worker-deployment');
    try {
      const scenarios: Scenario[] = [
        {
          key: 'small',
          title: 'small local image, 1 release command',
          image: benchImages.small,
          releaseCommands: ['true'],
          cold: false,
          rounds: pick(options, { smoke: 1, full: 10 }),
        },
        {
          key: 'five',
          title: 'small local image, 5 release commands',
          image: benchImages.small,
          releaseCommands: ['true', 'true', 'true', 'true', 'true'],
          cold: false,
          rounds: pick(options, { smoke: 1, full: 6 }),
        },
        {
          key: 'cold',
          title: 'cold pull of ~50 MB, 1 release command',
          image: benchImages.large,
          releaseCommands: ['true'],
          cold: true,
          rounds: pick(options, { smoke: 1, full: 5 }),
        },
      ];
      for (const scenario of scenarios) await runScenario(context, scenario);
      section.note(
        'Floor: createDockerRuntime() from src/docker (dockerode) in this process: pull check, run+wait+remove each release container, create+start the web container, poll / every 10 ms until HTTP 200, stop+remove the previous web container. Slipway time: POST sent -> finished_at of the deployment row. Worker concurrency 4, default startup probe (interval 200 ms).',
      );
    } finally {
      await worker.stop();
    }
  },
};
