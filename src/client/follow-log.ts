import { createParser } from 'eventsource-parser';
import { SlipwayApiError } from './api-error.js';
import { toLogStreamEvent, type LogStreamEnd, type LogStreamEvent } from './log-stream-events.js';

export type { LogStreamEnd, LogStreamEvent };

export interface FollowOptions {
  baseUrl: string;
  token?: string;
  deploymentId: string;
  /** Resume after this `log` event id (from an earlier stream). */
  lastEventId?: string;
  onEvent: (event: LogStreamEvent) => void;
  /** Told before each reconnection, with what broke the previous connection. */
  onReconnect?: (attempt: number, cause: unknown) => void;
  signal?: AbortSignal;
  /** Reconnections in a row without receiving anything before giving up (default 20). */
  maxReconnects?: number;
  /** First wait before reconnecting, doubled each time up to 5 s (default 250 ms). */
  reconnectDelayMs?: number;
  fetch?: typeof globalThis.fetch;
}

const maxDelayMs = 5_000;

/**
 * Follows a deployment's live log until its final `end` event, which it returns. A dropped
 * connection is resumed with `Last-Event-ID`, so no output is lost or repeated; an error answer
 * (4xx) is thrown as SlipwayApiError.
 */
export async function followDeploymentLog(options: FollowOptions): Promise<LogStreamEnd> {
  const maxReconnects = options.maxReconnects ?? 20;
  let lastEventId = options.lastEventId;
  let failures = 0;
  for (;;) {
    const connection = { received: false };
    try {
      const end = await streamOnce(options, lastEventId, (event) => {
        connection.received = true;
        if (event.type === 'log' && event.id !== '') lastEventId = event.id;
        options.onEvent(event);
      });
      if (end !== null) return end;
      throw new Error('the log stream closed before the deployment ended');
    } catch (error) {
      if (options.signal?.aborted === true || !retryable(error)) throw error;
      failures = connection.received ? 1 : failures + 1;
      if (failures > maxReconnects) throw error;
      options.onReconnect?.(failures, error);
      const delay = Math.min(maxDelayMs, (options.reconnectDelayMs ?? 250) * 2 ** (failures - 1));
      await sleep(delay, options.signal);
    }
  }
}

function retryable(error: unknown): boolean {
  return !(error instanceof SlipwayApiError) || error.status >= 500;
}

async function streamOnce(
  options: FollowOptions,
  lastEventId: string | undefined,
  onEvent: (event: LogStreamEvent) => void,
): Promise<LogStreamEnd | null> {
  const url = `${options.baseUrl.replace(/\/+$/, '')}/v1/deployments/${encodeURIComponent(options.deploymentId)}/log`;
  const headers: Record<string, string> = { accept: 'text/event-stream' };
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  if (lastEventId !== undefined) headers['last-event-id'] = lastEventId;
  const fetcher = options.fetch ?? globalThis.fetch;
  const response = await fetcher(url, {
    headers,
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  if (!response.ok) throw SlipwayApiError.from(response.status, await readBody(response));
  if (response.body === null) return null;
  const state: { end: LogStreamEnd | null } = { end: null };
  const parser = createParser({
    onEvent(message) {
      const event = toLogStreamEvent(message);
      if (event === null || state.end !== null) return;
      if (event.type === 'end') state.end = event;
      onEvent(event);
    },
  });
  const decoder = new TextDecoder();
  const body: ReadableStream<Uint8Array> = response.body;
  const reader = body.getReader();
  try {
    while (state.end === null) {
      const { done, value } = await reader.read();
      if (done) break;
      parser.feed(decoder.decode(value, { stream: true }));
    }
  } finally {
    // The server closes after `end`; cancelling frees the connection at once either way.
    await reader.cancel().catch(() => undefined);
  }
  return state.end;
}

async function readBody(response: Response): Promise<unknown> {
  const text = await response.text();
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
      },
      { once: true },
    );
  });
}
