/**
 * The order in which one poll's step changes and log chunks reach a follower, so a stream reads
 * as the deployment happened: a step's "running" before its output, its output before its
 * outcome, and deployment-level lines (e.g. "deployment … is live") after the last step's outcome.
 *
 * The steps are read before the chunks, so chunks may be newer than the steps: output of a step
 * the snapshot still shows pending, and deployment-level lines while a step still runs, are held
 * back for the next poll (everything after them too, so output is never reordered).
 */
import type { DeploymentStep } from '../schemas/deployment.js';

export interface LogChunkEvent {
  id: bigint;
  stepId: string | null;
  text: string;
}

export type OrderedEvent =
  { type: 'step'; step: DeploymentStep } | ({ type: 'log' } & LogChunkEvent);

const finishedStatuses = new Set(['succeeded', 'failed', 'skipped', 'cancelled']);

/** What a follower has been sent of a step: a change in any of these is sent again. */
export function stepSignature(step: DeploymentStep): string {
  return `${step.status}|${step.position}|${step.finishedAt ?? ''}`;
}

/** Where an event sits in the deployment's story: by step position, then phase. */
type Rank = [position: number, phase: number];

const before = (a: Rank, b: Rank) => a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]);

export function orderPollEvents(input: {
  steps: DeploymentStep[];
  chunks: LogChunkEvent[];
  /** What this follower has been sent of each step so far (stepSignature), by step id. */
  seen: ReadonlyMap<string, string>;
  /** The deployment had ended when the steps were read: nothing is held back. */
  finished: boolean;
  /**
   * Following as it happens (a poll), rather than the replay a follower gets when it joins: a
   * step seen for the first time already finished still gets its "running" first.
   */
  live: boolean;
}): OrderedEvent[] {
  const { steps, seen } = input;
  const byId = new Map(steps.map((step) => [step.id, step]));
  const stepEvents = stepChanges(steps, seen, input.live).sort((a, b) =>
    before(a.rank, b.rank) ? -1 : before(b.rank, a.rank) ? 1 : 0,
  );
  const anyUnfinished = steps.some((step) => !finishedStatuses.has(step.status));
  const events: OrderedEvent[] = [];
  let next = 0;
  const emitStepsBefore = (rank: Rank) => {
    while (next < stepEvents.length) {
      const candidate = stepEvents[next];
      if (candidate === undefined || !before(candidate.rank, rank)) break;
      events.push({ type: 'step', step: candidate.step });
      next += 1;
    }
  };
  for (const chunk of input.chunks) {
    const owner = chunk.stepId === null ? null : byId.get(chunk.stepId);
    if (!input.finished) {
      if (owner === undefined || owner?.status === 'pending') break;
      if (owner === null && anyUnfinished) break;
    }
    const rank: Rank = owner == null ? [Number.POSITIVE_INFINITY, 1] : [owner.position, 1];
    emitStepsBefore(rank);
    events.push({ type: 'log', ...chunk });
  }
  emitStepsBefore([Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY]);
  return events;
}

/** The step events this follower has not had yet; a "running" it missed comes before the outcome. */
function stepChanges(
  steps: DeploymentStep[],
  seen: ReadonlyMap<string, string>,
  live: boolean,
): { step: DeploymentStep; rank: Rank }[] {
  const changes: { step: DeploymentStep; rank: Rank }[] = [];
  for (const step of steps) {
    const signature = seen.get(step.id);
    if (signature === stepSignature(step)) continue;
    const last = signature?.split('|')[0];
    const finished = finishedStatuses.has(step.status);
    // Not in a replay: it shows the steps as they are now.
    const missedRunning = live ? last !== 'running' : signature !== undefined && last !== 'running';
    if (finished && step.startedAt !== null && missedRunning) {
      changes.push({
        step: {
          ...step,
          status: 'running',
          finishedAt: null,
          durationMs: null,
          exitCode: null,
          error: null,
        },
        rank: [step.position, 0],
      });
    }
    changes.push({ step, rank: [step.position, finished ? 2 : 0] });
  }
  return changes;
}
