/**
 * GET /v1/deployments/{id}/log as Server-Sent Events, with a real HTTP client: disconnecting
 * mid-stream and reconnecting with Last-Event-ID again and again must add up to exactly the
 * stored log, with no line lost or repeated; a finished deployment replays and closes.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { z } from 'zod';
import { REGISTRY_IMAGES } from '../support/docker-fixtures.js';
import { killLeftoverWorkers } from '../support/worker-process.js';
import {
  createApp,
  deploymentRow,
  startHarness,
  storedLog,
  trigger,
  waitForFinished,
  harnessStartTimeoutMs,
  type Harness,
} from './harness.js';

const lineCount = 150;
/** Prints line-1 … line-150 over about three seconds, so the stream is live while it is read. */
const chattyCommand = `i=1; while [ $i -le ${lineCount} ]; do echo line-$i; i=$((i+1)); sleep 0.02; done`;

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
  await h.startWorker();
}, harnessStartTimeoutMs);

afterAll(async () => {
  killLeftoverWorkers();
  await h.close();
});

interface SseEvent {
  event: string;
  id: string | null;
  data: string;
}

const logData = z.object({ stepId: z.uuid().nullable(), text: z.string() });
const stepData = z.object({ id: z.uuid(), kind: z.string(), status: z.string() });
const endData = z.object({
  status: z.enum(['succeeded', 'failed', 'cancelled']),
  failureReason: z.string().nullable(),
});

interface Session {
  logs: { id: bigint; text: string }[];
  steps: z.infer<typeof stepData>[];
  end: z.infer<typeof endData> | null;
  /** Every step and log event in arrival order. */
  timeline: (
    | { type: 'step'; id: string; kind: string; status: string }
    | { type: 'log'; stepId: string | null; text: string }
  )[];
  /** True when the server closed the stream (rather than this client leaving). */
  closedByServer: boolean;
}

/** Splits an SSE byte stream into events (comments and keep-alives are dropped). */
function parseEvents(buffer: string): { events: SseEvent[]; rest: string } {
  const blocks = buffer.replaceAll('\r\n', '\n').split('\n\n');
  const rest = blocks.pop() ?? '';
  const events: SseEvent[] = [];
  for (const block of blocks) {
    let event = 'message';
    let id: string | null = null;
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith(':') || line === '') continue;
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') event = value;
      else if (field === 'id') id = value;
      else if (field === 'data') data.push(value);
    }
    if (data.length > 0) events.push({ event, id, data: data.join('\n') });
  }
  return { events, rest };
}

/**
 * One connection: reads until `leaveAfterLogs` log events arrived (then disconnects), or until
 * the server ends the stream. Bounded to 60 s.
 */
async function follow(
  deploymentId: string,
  lastEventId: bigint | null,
  leaveAfterLogs: number,
): Promise<Session> {
  const leave = new AbortController();
  const response = await h.http(`/v1/deployments/${deploymentId}/log`, {
    headers: {
      accept: 'text/event-stream',
      ...(lastEventId === null ? {} : { 'last-event-id': lastEventId.toString() }),
    },
    signal: AbortSignal.any([leave.signal, AbortSignal.timeout(60_000)]),
  });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
  const body = response.body;
  if (body === null) throw new Error('the stream has no body');
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  const session: Session = { logs: [], steps: [], end: null, timeline: [], closedByServer: false };
  let buffer = '';
  try {
    // Bounded by the 60 s abort above and by a chunk count.
    for (let reads = 0; reads < 100_000; reads++) {
      const { done, value } = await reader.read();
      if (done) {
        session.closedByServer = true;
        return session;
      }
      const parsed = parseEvents(buffer + value);
      buffer = parsed.rest;
      for (const event of parsed.events) {
        if (session.end !== null) throw new Error(`event after "end": ${event.event}`);
        if (event.event === 'log') {
          if (event.id === null) throw new Error('a log event without an id');
          const log = logData.parse(JSON.parse(event.data));
          session.logs.push({ id: BigInt(event.id), text: log.text });
          session.timeline.push({ type: 'log', ...log });
        } else if (event.event === 'step') {
          const step = stepData.parse(JSON.parse(event.data));
          session.steps.push(step);
          session.timeline.push({ type: 'step', ...step });
        } else if (event.event === 'end') {
          session.end = endData.parse(JSON.parse(event.data));
        }
      }
      if (session.end === null && session.logs.length >= leaveAfterLogs) {
        // Going away like a browser tab that closes: the connection is torn down mid-stream.
        leave.abort();
        return session;
      }
    }
    throw new Error('the stream did not end within 100000 reads');
  } finally {
    reader.releaseLock();
  }
}

describe('live log stream (SSE)', () => {
  test('disconnect and resume with Last-Event-ID again and again: nothing lost or repeated', async () => {
    const app = await createApp(h, 'sse', {
      releaseCommands: [{ label: 'chatty', command: chattyCommand }],
    });
    const deployment = await trigger(h, app, REGISTRY_IMAGES.webV1);

    const received: { id: bigint; text: string }[] = [];
    const steps: z.infer<typeof stepData>[] = [];
    let end: Session['end'] = null;
    let lastEventId: bigint | null = null;
    let connections = 0;
    let resumedWhileRunning = 0;
    // Bounded: at most 500 connections.
    for (; connections < 500 && end === null; connections++) {
      // Leave after a few events each time (1 to 4), so resumes land everywhere in the log.
      const session = await follow(deployment.id, lastEventId, (connections % 4) + 1);
      received.push(...session.logs);
      steps.push(...session.steps);
      if (session.end !== null) {
        expect(session.closedByServer).toBe(true);
        end = session.end;
      } else {
        resumedWhileRunning += 1;
      }
      lastEventId = received.at(-1)?.id ?? lastEventId;
    }
    expect(end).toEqual({ status: 'succeeded', failureReason: null });
    expect(resumedWhileRunning).toBeGreaterThan(2);

    // Ids strictly increase across all connections: no event was sent twice.
    for (const [index, event] of received.entries()) {
      if (index > 0) expect(event.id > (received[index - 1]?.id ?? -1n)).toBe(true);
    }
    const text = received.map((event) => event.text).join('');
    const stored = await storedLog(h.db, deployment.id);
    expect(text).toBe(stored);
    const lines = text.split('\n').filter((line) => /^line-\d+$/.test(line));
    expect(lines).toEqual(Array.from({ length: lineCount }, (_, i) => `line-${i + 1}`));
    expect(
      steps.some((step) => step.kind === 'release_command' && step.status === 'succeeded'),
    ).toBe(true);
    process.stdout.write(
      `[lifecycle] SSE: ${connections} connections, ${resumedWhileRunning} resumed while running, ${received.length} log events\n`,
    );
  }, 120_000);

  test('a finished deployment replays everything, or the rest after Last-Event-ID, then closes', async () => {
    const app = await createApp(h, 'sse-done', {
      releaseCommands: [{ label: 'chatty', command: chattyCommand }],
    });
    const deployment = await trigger(h, app, REGISTRY_IMAGES.webV1);
    expect((await waitForFinished(h.db, deployment.id, 60_000)).status).toBe('succeeded');
    const stored = await storedLog(h.db, deployment.id);

    const all = await follow(deployment.id, null, Number.MAX_SAFE_INTEGER);
    expect(all.closedByServer).toBe(true);
    expect(all.end).toEqual({ status: 'succeeded', failureReason: null });
    expect(all.logs.map((event) => event.text).join('')).toBe(stored);
    expect(all.steps.map((step) => step.status)).toEqual(all.steps.map(() => 'succeeded'));

    const middle = all.logs[Math.floor(all.logs.length / 2)];
    if (middle === undefined) throw new Error('no log events');
    const rest = await follow(deployment.id, middle.id, Number.MAX_SAFE_INTEGER);
    expect(rest.closedByServer).toBe(true);
    expect(rest.logs).toEqual(all.logs.filter((event) => event.id > middle.id));
  }, 120_000);

  test('a live stream tells the story in order: running, output, outcome, then "is live"', async () => {
    // Followed while still queued behind a slower one, so the stream sees every step from its start.
    const app = await createApp(h, 'sse-order', {
      releaseCommands: [{ label: 'pause', command: 'sleep 2' }],
    });
    await trigger(h, app, REGISTRY_IMAGES.webV1);
    const deployment = await trigger(h, app, REGISTRY_IMAGES.webV1);
    expect((await deploymentRow(h.db, deployment.id)).status).toBe('queued');
    const session = await follow(deployment.id, null, Number.MAX_SAFE_INTEGER);
    expect(session.end).toEqual({ status: 'succeeded', failureReason: null });
    const index = (match: (entry: Session['timeline'][number]) => boolean) =>
      session.timeline.findIndex(match);
    const kindOf = new Map(session.steps.map((step) => [step.id, step.kind]));
    for (const kind of ['pull', 'release_command', 'start', 'probe', 'activate']) {
      const running = index((e) => e.type === 'step' && e.kind === kind && e.status === 'running');
      const finished = index(
        (e) => e.type === 'step' && e.kind === kind && e.status === 'succeeded',
      );
      const firstLog = index(
        (e) => e.type === 'log' && e.stepId !== null && kindOf.get(e.stepId) === kind,
      );
      const lastLog = session.timeline.findLastIndex(
        (e) => e.type === 'log' && e.stepId !== null && kindOf.get(e.stepId) === kind,
      );
      expect(running, `${kind} running`).toBeGreaterThanOrEqual(0);
      expect(finished, `${kind} succeeded after running`).toBeGreaterThan(running);
      if (firstLog !== -1) {
        expect(firstLog, `${kind} output after its running`).toBeGreaterThan(running);
        expect(lastLog, `${kind} output before its outcome`).toBeLessThan(finished);
      }
    }
    const probeDone = index(
      (e) => e.type === 'step' && e.kind === 'probe' && e.status === 'succeeded',
    );
    const activateDone = index(
      (e) => e.type === 'step' && e.kind === 'activate' && e.status === 'succeeded',
    );
    const live = index((e) => e.type === 'log' && e.text.includes('is live'));
    expect(probeDone).toBeLessThan(
      index((e) => e.type === 'step' && e.kind === 'activate' && e.status === 'running'),
    );
    expect(live).toBeGreaterThan(activateDone);
  }, 120_000);
});
