/**
 * The shared poller of the live log with several followers, against a scripted reader: a follower
 * joining while others are already following must not miss output the poller read before it
 * joined, and every follower gets the final `end` with the deployment's real failure reason.
 */
import { pino } from 'pino';
import { describe, expect, test } from 'vitest';
import type { Deployment } from '../../src/schemas/deployment.js';
import {
  createLogStreamService,
  type LogStreamEvent,
} from '../../src/services/log-stream-service.js';
import type { DeploymentProgressReader } from '../../src/services/ports.js';

const deploymentId = '00000000-0000-4000-8000-000000000001';

function scriptedReader() {
  const chunks: { id: bigint; stepId: string | null; text: string }[] = [];
  let status: Deployment['status'] = 'running';
  let failureReason: string | null = null;
  /** When set, the next full read (after -1) takes its snapshot at once and answers on release. */
  let held: { gate: Promise<void>; taken: () => void } | null = null;
  const reader: DeploymentProgressReader = {
    progress: () =>
      Promise.resolve({
        id: deploymentId,
        app: 'app',
        kind: 'deploy',
        rollbackOf: null,
        image: 'image',
        status,
        imageId: null,
        failureReason,
        createdAt: new Date(0).toISOString(),
        startedAt: null,
        finishedAt: null,
        steps: [],
      }),
    chunksAfter: async (_id, afterId, limit) => {
      const snapshot = chunks.filter((chunk) => chunk.id > afterId).slice(0, limit);
      if (afterId === -1n && held !== null) {
        const { gate, taken } = held;
        held = null;
        taken();
        await gate;
      }
      return snapshot;
    },
  };
  return {
    reader,
    write(id: number) {
      chunks.push({ id: BigInt(id), stepId: null, text: `line-${id}\n` });
    },
    finish(next: Deployment['status'], reason: string | null) {
      status = next;
      failureReason = reason;
    },
    /** Returns when the held read has taken its snapshot, and the function that answers it. */
    holdNextFullRead(): { taken: Promise<void>; release: () => void } {
      let release = () => {};
      let markTaken = () => {};
      const taken = new Promise<void>((resolve) => {
        markTaken = resolve;
      });
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      held = { gate, taken: markTaken };
      return { taken, release };
    },
  };
}

function collector() {
  const events: LogStreamEvent[] = [];
  return {
    events,
    sink: (event: LogStreamEvent) => {
      events.push(event);
    },
    logIds: () => events.flatMap((event) => (event.type === 'log' ? [Number(event.id)] : [])),
    end: () => events.find((event) => event.type === 'end'),
  };
}

/** Polls `done` every 5 ms, at most 400 times (2 s). */
async function until(done: () => boolean): Promise<void> {
  for (let attempt = 0; attempt < 400; attempt++) {
    if (done()) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error('condition not met within 2 s');
}

describe('log stream with several followers', () => {
  test('a follower joining mid-poll misses nothing; all get the real end', async () => {
    const script = scriptedReader();
    const service = createLogStreamService({
      reader: script.reader,
      logger: pino({ level: 'silent' }),
      pollIntervalMs: 5,
    });
    for (const id of [1, 2, 3]) script.write(id);
    const first = collector();
    await service.follow(deploymentId, null, first.sink);
    script.write(4);
    script.write(5);
    await until(() => first.logIds().includes(5));

    // The second follower's replay reads 1..5, but its answer comes back only after the poller
    // has already read and sent 6 to the first follower.
    const hold = script.holdNextFullRead();
    const second = collector();
    const joining = service.follow(deploymentId, null, second.sink);
    await hold.taken;
    script.write(6);
    await until(() => first.logIds().includes(6));
    hold.release();
    await joining;

    script.write(7);
    script.finish('failed', 'release command exited with code 3');
    await until(() => first.end() !== undefined && second.end() !== undefined);
    expect(first.logIds()).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(second.logIds()).toEqual([1, 2, 3, 4, 5, 6, 7]);
    for (const follower of [first, second]) {
      expect(follower.end()).toEqual({
        type: 'end',
        status: 'failed',
        failureReason: 'release command exited with code 3',
      });
    }
    expect(service.followerCount()).toBe(0);
  });

  test('a deployment that succeeds ends its followers with no failure reason', async () => {
    const script = scriptedReader();
    const service = createLogStreamService({
      reader: script.reader,
      logger: pino({ level: 'silent' }),
      pollIntervalMs: 5,
    });
    const follower = collector();
    await service.follow(deploymentId, null, follower.sink);
    script.write(1);
    script.finish('succeeded', null);
    await until(() => follower.end() !== undefined);
    expect(follower.logIds()).toEqual([1]);
    expect(follower.end()).toEqual({ type: 'end', status: 'succeeded', failureReason: null });
  });
});
