import { describe, expect, test } from 'vitest';
import type { DeploymentStep } from '../../src/schemas/deployment.js';
import { orderPollEvents, stepSignature } from '../../src/services/log-stream-order.js';

const at = '2026-12-01T10:00:00.000Z';

function step(
  position: number,
  kind: DeploymentStep['kind'],
  status: DeploymentStep['status'],
): DeploymentStep {
  const started = status !== 'pending' && status !== 'skipped';
  const finished = started && status !== 'running';
  return {
    id: `s${position}`,
    kind,
    label: kind,
    position,
    source: null,
    status,
    startedAt: started ? at : null,
    finishedAt: finished ? at : null,
    durationMs: finished ? 5 : null,
    exitCode: null,
    error: null,
  };
}

const chunk = (id: number, stepId: string | null, text: string) => ({
  id: BigInt(id),
  stepId,
  text,
});

function describeEvents(events: ReturnType<typeof orderPollEvents>): string[] {
  return events.map((e) =>
    e.type === 'log' ? `log ${e.text}` : `${e.step.kind} ${e.step.status}`,
  );
}

describe("the order of one poll's events", () => {
  test("a step's outcome comes after its output, and deployment lines after the last outcome", () => {
    const seen = new Map([
      ['s0', stepSignature(step(0, 'probe', 'running'))],
      ['s1', stepSignature(step(1, 'activate', 'pending'))],
    ]);
    const events = orderPollEvents({
      steps: [step(0, 'probe', 'succeeded'), step(1, 'activate', 'succeeded')],
      chunks: [
        chunk(1, 's0', 'ready'),
        chunk(2, 's1', 'live now'),
        chunk(3, null, 'deployment is live'),
      ],
      seen,
      finished: false,
      live: true,
    });
    expect(describeEvents(events)).toEqual([
      'log ready',
      'probe succeeded',
      // Its "running" was never seen: it is sent before its output and outcome.
      'activate running',
      'log live now',
      'activate succeeded',
      'log deployment is live',
    ]);
  });

  test('output of a step the snapshot shows pending is held back, with everything after it', () => {
    const events = orderPollEvents({
      steps: [step(0, 'probe', 'running'), step(1, 'activate', 'pending')],
      chunks: [chunk(1, 's0', 'attempt 1'), chunk(2, 's1', 'live now'), chunk(3, 's0', 'late')],
      seen: new Map([
        ['s0', stepSignature(step(0, 'probe', 'running'))],
        ['s1', stepSignature(step(1, 'activate', 'pending'))],
      ]),
      finished: false,
      live: true,
    });
    expect(describeEvents(events)).toEqual(['log attempt 1']);
  });

  test('deployment-level lines wait while a step still runs, unless the deployment ended', () => {
    const input = {
      steps: [step(0, 'activate', 'running')],
      chunks: [chunk(1, null, 'deployment is live')],
      seen: new Map([['s0', stepSignature(step(0, 'activate', 'running'))]]),
    };
    expect(orderPollEvents({ ...input, finished: false, live: true })).toEqual([]);
    expect(describeEvents(orderPollEvents({ ...input, finished: true, live: true }))).toEqual([
      'log deployment is live',
    ]);
  });

  test('nothing already sent is sent again; a skipped step gets no invented "running"', () => {
    const seen = new Map([['s0', stepSignature(step(0, 'pull', 'succeeded'))]]);
    const events = orderPollEvents({
      steps: [step(0, 'pull', 'succeeded'), step(1, 'start', 'skipped')],
      chunks: [],
      seen,
      finished: true,
      live: true,
    });
    expect(describeEvents(events)).toEqual(['start skipped']);
  });
});
