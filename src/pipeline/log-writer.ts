import {
  createStreamRedactor,
  redactSecrets,
  SecretSet,
  type StreamRedactor,
} from '../domain/secret-redactor.js';
import type { OutputStream } from '../engine/engine.js';
import type { LogStore } from './deployment-store.js';
import { createLogBuffer } from './log-buffer.js';
import { createLogFlusher } from './log-flusher.js';

export interface LogWriterOptions {
  deploymentId: string;
  store: LogStore;
  /** How often buffered output is written; this bounds how stale a follower's view can be. */
  flushIntervalMs?: number;
  /** Per step, the first headBytes and the last tailBytes of output are kept. */
  headBytes?: number;
  tailBytes?: number;
  /** Values masked as ***** in everything written, before it is buffered, stored or streamed. */
  secrets?: readonly string[];
  onFlushError: (error: unknown) => void;
}

const megabyte = 1024 * 1024;

/** PostgreSQL text cannot hold NUL; it is the one byte a command's output may not keep. */
function storable(text: string): string {
  return text.includes('\u0000') ? text.replaceAll('\u0000', '\uFFFD') : text;
}

/**
 * Masks secrets per step and per output stream. Each (step, stream) has its own carry-over: a
 * secret split in stdout stays masked when stderr writes between its pieces, and one step's
 * output can never complete another step's secret.
 */
function createStepRedaction(secrets: readonly string[]) {
  const set = new SecretSet(secrets);
  const steps = new Map<string | null, StreamRedactor<OutputStream>>();

  function of(stepId: string | null): StreamRedactor<OutputStream> {
    let redactor = steps.get(stepId);
    if (redactor === undefined) {
      redactor = createStreamRedactor<OutputStream>(set);
      steps.set(stepId, redactor);
    }
    return redactor;
  }

  return {
    push: (stepId: string | null, text: string, stream: OutputStream) =>
      of(stepId).push(stream, text),
    /** What one step's streams hold back, masked, in the order the streams first wrote. */
    release: (stepId: string | null) =>
      steps
        .get(stepId)
        ?.endAll()
        .map((part) => part.text) ?? [],
    releaseAll(): { stepId: string | null; text: string }[] {
      const released: { stepId: string | null; text: string }[] = [];
      for (const [stepId, redactor] of steps) {
        for (const part of redactor.endAll()) released.push({ stepId, text: part.text });
      }
      return released;
    },
    redact: (text: string): string => redactSecrets(text, set),
  };
}

/**
 * Collects output per step, writes it in batches while it arrives, and keeps each step's stored
 * log bounded (first and last megabyte by default) so a chatty command cannot fill the database.
 */
export function createLogWriter(options: LogWriterOptions) {
  const tailBytes = options.tailBytes ?? megabyte;
  const buffer = createLogBuffer({
    deploymentId: options.deploymentId,
    headBytes: options.headBytes ?? megabyte,
    tailBytes,
  });
  const flusher = createLogFlusher({
    buffer,
    store: options.store,
    tailBytes,
    onFlushError: options.onFlushError,
  });
  const redaction = createStepRedaction(options.secrets ?? []);
  let closed = false;

  const timer = setInterval(() => {
    void flusher.flush();
  }, options.flushIntervalMs ?? 100);
  timer.unref();

  function append(stepId: string | null, text: string): void {
    if (text !== '') buffer.append(stepId, storable(text));
  }

  /** Text held back because it might be the start of a secret is released (masked) here. */
  function releaseHeldText(): void {
    for (const { stepId, text } of redaction.releaseAll()) append(stepId, text);
  }

  return {
    /** Output of a command, in pieces as they arrive (a piece may end mid-line or mid-secret). */
    write(stepId: string | null, text: string, stream: OutputStream = 'stdout'): void {
      if (text === '' || closed) return;
      append(stepId, redaction.push(stepId, text, stream));
    },
    /**
     * A whole line written by the worker itself. What the step's streams still hold back goes
     * first, so the log keeps the order in which things happened.
     */
    line(stepId: string | null, text: string): void {
      if (closed) return;
      for (const held of redaction.release(stepId)) append(stepId, held);
      append(stepId, redaction.redact(`${text}\n`));
    },
    /** Masks every secret value in a complete text (failure reasons, step errors). */
    redact: (text: string): string => redaction.redact(text),
    /** Waits until everything written so far is stored (or the store failed). */
    async flush(): Promise<void> {
      if (!closed) releaseHeldText();
      await flusher.flushAll();
    },
    async close(): Promise<void> {
      clearInterval(timer);
      if (!closed) releaseHeldText();
      await flusher.flushAll();
      closed = true;
    },
  };
}

export type LogWriter = ReturnType<typeof createLogWriter>;
