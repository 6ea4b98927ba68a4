import type { Logger } from 'pino';
import { AppError } from '../domain/errors.js';
import type { Deployment, DeploymentStep } from '../schemas/deployment.js';
import { orderPollEvents, stepSignature, type LogChunkEvent } from './log-stream-order.js';
import type { DeploymentProgressReader } from './ports.js';

export type LogStreamEvent =
  | { type: 'log'; id: bigint; stepId: string | null; text: string }
  | { type: 'step'; step: DeploymentStep }
  | { type: 'end'; status: Deployment['status']; failureReason: string | null };

type Sink = (event: LogStreamEvent) => void;

interface Follower {
  sink: Sink;
  /** Highest chunk id this follower has been sent: nothing at or below it is sent again. */
  lastId: bigint;
  steps: Map<string, string>;
}

interface Channel {
  followers: Set<Follower>;
  timer: NodeJS.Timeout | null;
  /** A poll is running; the next one is scheduled when it ends, never two at once. */
  inFlight: boolean;
}

const terminal = new Set(['succeeded', 'failed', 'cancelled']);
const batchLimit = 500;

/**
 * Live deployment logs. All followers of one deployment share one poller, so a thousand
 * followers cost the database (and the worker writing to it) the same as one.
 */
export function createLogStreamService(deps: {
  reader: DeploymentProgressReader;
  logger: Logger;
  pollIntervalMs?: number;
}) {
  const { reader } = deps;
  const pollIntervalMs = deps.pollIntervalMs ?? 100;
  const channels = new Map<string, Channel>();

  /** Step changes and new output, in the order they happened (see log-stream-order.ts). */
  function deliver(
    follower: Follower,
    deployment: Deployment,
    chunks: LogChunkEvent[],
    finished: boolean,
    live: boolean,
  ): void {
    const events = orderPollEvents({
      steps: deployment.steps,
      chunks: chunks.filter((chunk) => chunk.id > follower.lastId),
      seen: follower.steps,
      finished,
      live,
    });
    for (const event of events) {
      if (event.type === 'log') {
        follower.lastId = event.id;
        follower.sink(event);
      } else {
        follower.steps.set(event.step.id, stepSignature(event.step));
        follower.sink(event);
      }
    }
  }

  /** Reads everything after `after` in bounded batches. */
  async function readAll(deploymentId: string, after: bigint) {
    const all: { id: bigint; stepId: string | null; text: string }[] = [];
    let cursor = after;
    for (let batch = 0; batch < 10_000; batch++) {
      const chunks = await reader.chunksAfter(deploymentId, cursor, batchLimit);
      all.push(...chunks);
      const last = chunks.at(-1);
      if (last === undefined || chunks.length < batchLimit) break;
      cursor = last.id;
    }
    return all;
  }

  async function poll(deploymentId: string, channel: Channel): Promise<void> {
    // Read from the follower furthest behind, so what is read continues every follower's log
    // without a gap (a follower that joined after this poll started may be further behind).
    let from: bigint | null = null;
    for (const follower of channel.followers) {
      if (from === null || follower.lastId < from) from = follower.lastId;
    }
    if (from === null) return;
    // Status first, then output: once the status is final, the output read after it is complete.
    const deployment = await reader.progress(deploymentId);
    const chunks = await readAll(deploymentId, from);
    const end: LogStreamEvent =
      deployment === null
        ? { type: 'end', status: 'cancelled', failureReason: 'deployment deleted' }
        : { type: 'end', status: deployment.status, failureReason: deployment.failureReason };
    const finished = deployment === null || terminal.has(deployment.status);
    for (const follower of channel.followers) {
      // Joined while this poll ran, from further back than it read: served by the next poll.
      if (follower.lastId < from) continue;
      if (deployment !== null) deliver(follower, deployment, chunks, finished, true);
      if (finished) {
        follower.sink(end);
        channel.followers.delete(follower);
      }
    }
  }

  function schedule(deploymentId: string, channel: Channel): void {
    if (channel.followers.size === 0) {
      if (channel.timer !== null) clearTimeout(channel.timer);
      channels.delete(deploymentId);
      return;
    }
    if (channel.timer !== null || channel.inFlight) return;
    channel.timer = setTimeout(() => {
      channel.timer = null;
      channel.inFlight = true;
      poll(deploymentId, channel)
        .catch((error: unknown) => {
          deps.logger.warn({ err: error, deploymentId }, 'log stream poll failed; retrying');
        })
        .finally(() => {
          channel.inFlight = false;
          schedule(deploymentId, channel);
        });
    }, pollIntervalMs);
  }

  return {
    /**
     * Replays the log after `lastEventId` (everything when null), then streams new output and
     * step changes until the deployment finishes. Returns a function that stops following.
     */
    async follow(
      deploymentId: string,
      lastEventId: bigint | null,
      sink: Sink,
    ): Promise<() => void> {
      const deployment = await reader.progress(deploymentId);
      if (deployment === null)
        throw new AppError('DEPLOYMENT_NOT_FOUND', `no deployment ${deploymentId}`);
      const follower: Follower = { sink, lastId: lastEventId ?? -1n, steps: new Map() };
      const finished = terminal.has(deployment.status);
      deliver(follower, deployment, await readAll(deploymentId, follower.lastId), finished, false);
      if (finished) {
        // Finished before we read its output, so what we sent is complete.
        sink({ type: 'end', status: deployment.status, failureReason: deployment.failureReason });
        return () => {};
      }
      let channel = channels.get(deploymentId);
      if (channel === undefined) {
        channel = { followers: new Set(), timer: null, inFlight: false };
        channels.set(deploymentId, channel);
      }
      channel.followers.add(follower);
      schedule(deploymentId, channel);
      const joined = channel;
      return () => {
        joined.followers.delete(follower);
      };
    },

    followerCount: () => [...channels.values()].reduce((sum, c) => sum + c.followers.size, 0),
  };
}

export type LogStreamService = ReturnType<typeof createLogStreamService>;
