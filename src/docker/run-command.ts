import { Readable } from 'node:stream';

import type Docker from 'dockerode';

import type { RunCommandOptions, RunCommandResult } from './runtime-types.js';
import { EngineError } from '../engine/engine-error.js';
import { hasStatus, toRuntimeError } from './engine-errors.js';
import { FirstError } from './first-error.js';
import { OutputDemuxer } from './output-demuxer.js';
import { removeWithVolumes } from './remove-options.js';
import { resourceHostConfig } from './resource-host-config.js';

/** After exit, how long the attach stream may take to deliver its last bytes. */
const OUTPUT_DRAIN_TIMEOUT_MS = 5_000;

type StopReason = 'timed-out' | 'aborted';

interface StopState {
  reason: StopReason | null;
  kill: Promise<boolean> | null;
  killError: { error: unknown } | null;
}

type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

/** Runs `/bin/sh -c command` in a fresh container and removes that container whatever happens. */
export async function runCommand(
  docker: Docker,
  options: RunCommandOptions,
): Promise<RunCommandResult> {
  if (isAborted(options.signal)) return { outcome: 'aborted' };
  // onOutput runs inside stream events: its throw is kept and rethrown, as is, at the very end.
  const outputFailure = new FirstError();
  let container: Docker.Container | null = null;
  let result: Settled<RunCommandResult>;
  try {
    container = await docker.createContainer({
      Image: options.image,
      Entrypoint: ['/bin/sh'],
      Cmd: ['-c', options.command],
      Labels: options.labels,
      Env: Object.entries(options.env).map(([name, value]) => `${name}=${value}`),
      AttachStdin: false,
      AttachStdout: true,
      AttachStderr: true,
      Tty: false,
      OpenStdin: false,
      HostConfig: {
        Init: true,
        NetworkMode: options.network,
        ...resourceHostConfig(options.resources),
      },
    });
    result = { ok: true, value: await runToCompletion(container, options, outputFailure) };
  } catch (error) {
    result = { ok: false, error };
  }
  if (container === null) {
    if (result.ok) return result.value;
    throw toRuntimeError(result.error, `creating a container from ${options.image}`);
  }
  const settled = await settleWithRemoval(container, result);
  outputFailure.throwIfRecorded();
  return settled;
}

async function settleWithRemoval(
  container: Docker.Container,
  result: Settled<RunCommandResult>,
): Promise<RunCommandResult> {
  let removalError: unknown = null;
  try {
    await container.remove(removeWithVolumes);
  } catch (error) {
    // 404: already gone; 409: a removal is already under way.
    if (!hasStatus(error, 404, 409)) removalError = error;
  }
  if (removalError === null) {
    if (result.ok) return result.value;
    throw toRuntimeError(result.error, `running a command in container ${container.id}`);
  }
  const removal = toRuntimeError(removalError, `removing command container ${container.id}`);
  if (result.ok) throw removal;
  const failure = toRuntimeError(result.error, `running a command in container ${container.id}`);
  throw new EngineError(failure.code, `${failure.message}; then ${removal.message}`, {
    cause: result.error,
  });
}

async function runToCompletion(
  container: Docker.Container,
  options: RunCommandOptions,
  outputFailure: FirstError,
): Promise<RunCommandResult> {
  const demuxer = new OutputDemuxer((text, stream) => {
    outputFailure.guard(() => {
      options.onOutput(text, stream);
    });
  });

  // Attaching before start is what guarantees that even the first bytes are seen.
  const stream = await container.attach({ stream: true, stdout: true, stderr: true });
  const drained = drain(stream, demuxer);

  // Written from the timer and the abort listener, read once the container has exited.
  const stopping: StopState = { reason: null, kill: null, killError: null };
  const stop = (reason: StopReason): void => {
    if (stopping.reason !== null) return;
    stopping.reason = reason;
    stopping.kill = killIfRunning(container).catch((error: unknown) => {
      stopping.killError = { error };
      return false;
    });
  };
  const onAbort = (): void => {
    stop('aborted');
  };
  let timer: NodeJS.Timeout | undefined;
  try {
    if (isAborted(options.signal)) return { outcome: 'aborted' };
    await container.start();
    timer = setTimeout(() => {
      stop('timed-out');
    }, options.timeoutMs);
    options.signal?.addEventListener('abort', onAbort, { once: true });
    // It may have fired while the container was starting, before anyone listened.
    if (isAborted(options.signal)) stop('aborted');

    // "not-running" rather than "next-exit": it also returns at once when the command already
    // finished before this request reached the engine.
    const waitResult: unknown = await container.wait({ condition: 'not-running' });
    const exitCode = exitCodeOf(waitResult);
    clearTimeout(timer);
    const killed = stopping.kill === null ? false : await stopping.kill;
    if (stopping.killError !== null) throw stopping.killError.error;

    const streamError = await drainWithin(stream, drained, OUTPUT_DRAIN_TIMEOUT_MS);
    demuxer.end();
    if (streamError !== null) throw streamError;

    // A command that finished on its own just before the deadline keeps its real outcome.
    if (stopping.reason !== null && killed) return { outcome: stopping.reason };
    if (exitCode !== 0 && (await wasOomKilled(container))) {
      return { outcome: 'exited', exitCode, oomKilled: true };
    }
    return { outcome: 'exited', exitCode };
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
    closeStream(stream);
  }
}

/** Feeds the stream to the demuxer; resolves when it ends, with its error if it failed. */
function drain(stream: NodeJS.ReadableStream, demuxer: OutputDemuxer): Promise<Error | null> {
  return new Promise((resolve) => {
    stream.on('data', (chunk: Buffer | string) => {
      demuxer.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
    });
    stream.once('end', () => {
      resolve(null);
    });
    stream.once('close', () => {
      resolve(null);
    });
    stream.once('error', (error: Error) => {
      resolve(error);
    });
  });
}

/**
 * The engine ends the attach stream right after the exit; the bound only guards against an engine
 * that keeps the connection open, in which case the stream is closed and what it held is lost.
 */
async function drainWithin(
  stream: NodeJS.ReadableStream,
  drained: Promise<Error | null>,
  timeoutMs: number,
): Promise<Error | null> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timed-out'>((resolve) => {
    timer = setTimeout(() => {
      resolve('timed-out');
    }, timeoutMs);
  });
  const outcome = await Promise.race([drained, timedOut]);
  clearTimeout(timer);
  if (outcome !== 'timed-out') return outcome;
  closeStream(stream);
  return null;
}

function closeStream(stream: NodeJS.ReadableStream): void {
  if (stream instanceof Readable) stream.destroy();
}

/** Whether the kernel's OOM killer ended a process of the (exited) container. */
async function wasOomKilled(container: Docker.Container): Promise<boolean> {
  let inspected: { State?: { OOMKilled?: boolean } };
  try {
    inspected = await container.inspect();
  } catch (error) {
    throw toRuntimeError(error, `inspecting command container ${container.id}`);
  }
  return inspected.State?.OOMKilled === true;
}

async function killIfRunning(container: Docker.Container): Promise<boolean> {
  try {
    await container.kill();
    return true;
  } catch (error) {
    // 409: it is not running any more; 404: it is gone. Either way there is nothing to kill.
    if (hasStatus(error, 404, 409)) return false;
    throw toRuntimeError(error, `killing container ${container.id}`);
  }
}

function exitCodeOf(waitResult: unknown): number {
  if (
    typeof waitResult === 'object' &&
    waitResult !== null &&
    'StatusCode' in waitResult &&
    typeof waitResult.StatusCode === 'number'
  ) {
    return waitResult.StatusCode;
  }
  throw new EngineError(
    'ENGINE_ERROR',
    `unexpected answer to a container wait: ${JSON.stringify(waitResult)}`,
  );
}

/** A function, not an inline check, because the flag changes while this module awaits. */
function isAborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}
