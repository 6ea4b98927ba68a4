import { createSecretRedactor, type SecretRedactor } from '../domain/secret-redactor.js';
import type { LogChunkToStore, LogStore } from './deployment-store.js';

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

interface StepBudget {
  headUsed: number;
  /** Tail chunks already stored, oldest first, so the oldest can be dropped when over budget. */
  storedTail: { id: bigint; bytes: number }[];
  storedTailBytes: number;
  omittedPending: number;
}

const megabyte = 1024 * 1024;
const maxChunkBytes = 64 * 1024;

/** PostgreSQL text cannot hold NUL; it is the one byte a command's output may not keep. */
function storable(text: string): string {
  return text.includes('\u0000') ? text.replaceAll('\u0000', '\uFFFD') : text;
}

/**
 * Collects output per step, writes it in batches while it arrives, and keeps each step's stored
 * log bounded (first and last megabyte by default) so a chatty command cannot fill the database.
 */
export function createLogWriter(options: LogWriterOptions) {
  const { deploymentId, store } = options;
  const headLimit = options.headBytes ?? megabyte;
  const tailLimit = options.tailBytes ?? megabyte;
  const budgets = new Map<string, StepBudget>();
  let pending: (LogChunkToStore & { bytes: number })[] = [];
  let flushing: Promise<void> | null = null;
  let closed = false;
  // One redactor per step (and one for deployment-level lines), as each is its own stream of text.
  const secrets = options.secrets ?? [];
  const redactors = new Map<string | null, SecretRedactor>();

  const timer = setInterval(() => {
    void flush();
  }, options.flushIntervalMs ?? 100);
  timer.unref();

  function budgetOf(stepId: string): StepBudget {
    let budget = budgets.get(stepId);
    if (budget === undefined) {
      budget = { headUsed: 0, storedTail: [], storedTailBytes: 0, omittedPending: 0 };
      budgets.set(stepId, budget);
    }
    return budget;
  }

  function write(stepId: string | null, rawText: string): void {
    if (rawText === '' || closed) return;
    if (secrets.length === 0) {
      append(stepId, rawText);
      return;
    }
    let redactor = redactors.get(stepId);
    if (redactor === undefined) {
      redactor = createSecretRedactor(secrets);
      redactors.set(stepId, redactor);
    }
    append(stepId, redactor.push(rawText));
  }

  /** Text held back because it might be the start of a secret is released (masked) here. */
  function releaseHeldText(): void {
    for (const [stepId, redactor] of redactors) append(stepId, redactor.end());
  }

  function append(stepId: string | null, rawText: string): void {
    if (rawText === '') return;
    const text = storable(rawText);
    const bytes = Buffer.byteLength(text);
    if (stepId === null) {
      pending.push({ deploymentId, stepId, part: 'head', text, bytes });
      return;
    }
    const budget = budgetOf(stepId);
    const part = budget.headUsed < headLimit ? 'head' : 'tail';
    if (part === 'head') budget.headUsed += bytes;
    const last = pending.at(-1);
    if (last?.stepId === stepId && last.part === part && last.bytes + bytes <= maxChunkBytes) {
      last.text += text;
      last.bytes += bytes;
    } else {
      pending.push({ deploymentId, stepId, part, text, bytes });
    }
    if (part === 'tail') trimPendingTail(stepId, budget);
  }

  /** Unwritten tail output beyond the budget is dropped in memory, so memory stays bounded too. */
  function trimPendingTail(stepId: string, budget: StepBudget): void {
    let pendingTail = 0;
    for (const chunk of pending)
      if (chunk.stepId === stepId && chunk.part === 'tail') pendingTail += chunk.bytes;
    while (pendingTail > tailLimit) {
      const index = pending.findIndex((chunk) => chunk.stepId === stepId && chunk.part === 'tail');
      const oldest = pending[index];
      if (oldest === undefined || pendingTail - oldest.bytes < tailLimit / 2) break;
      pending.splice(index, 1);
      pendingTail -= oldest.bytes;
      budget.omittedPending += oldest.bytes;
    }
  }

  /** Stores a batch; on failure nothing of it counts as stored, so it can be retried as a whole. */
  async function appendBatch(batch: (LogChunkToStore & { bytes: number })[]): Promise<void> {
    const ids = await store.append(batch.map(({ bytes: _bytes, ...chunk }) => chunk));
    for (const [index, chunk] of batch.entries()) {
      const id = ids[index];
      if (chunk.part !== 'tail' || chunk.stepId === null || id === undefined) continue;
      const budget = budgetOf(chunk.stepId);
      budget.storedTail.push({ id, bytes: chunk.bytes });
      budget.storedTailBytes += chunk.bytes;
    }
  }

  /**
   * Drops stored tail chunks beyond each step's budget. State changes only after the store
   * confirms, so a failed drop is simply tried again at the next flush (never counted twice).
   */
  async function trimStoredTails(): Promise<void> {
    for (const [stepId, budget] of budgets) {
      let count = 0;
      let bytes = 0;
      let upToId: bigint | null = null;
      while (budget.storedTailBytes - bytes > tailLimit && count < budget.storedTail.length - 1) {
        const oldest = budget.storedTail[count];
        if (oldest === undefined) break;
        bytes += oldest.bytes;
        upToId = oldest.id;
        count += 1;
      }
      const omittedInMemory = budget.omittedPending;
      if (bytes + omittedInMemory === 0) continue;
      await store.dropTail(stepId, upToId, bytes + omittedInMemory);
      budget.storedTail.splice(0, count);
      budget.storedTailBytes -= bytes;
      // Only what was counted: output trimmed in memory while dropTail ran goes in the next one.
      budget.omittedPending -= omittedInMemory;
    }
  }

  async function flushOnce(): Promise<void> {
    if (pending.length > 0) {
      const batch = pending;
      pending = [];
      try {
        await appendBatch(batch);
      } catch (error) {
        // Put the batch back in front so nothing is lost or reordered; the next tick retries.
        pending = [...batch, ...pending];
        throw error;
      }
    }
    await trimStoredTails();
  }

  function flush(): Promise<void> {
    flushing ??= flushOnce()
      .catch(options.onFlushError)
      .finally(() => {
        flushing = null;
      });
    return flushing;
  }

  return {
    write,
    /** Convenience for whole lines written by the worker itself. */
    line(stepId: string | null, text: string): void {
      write(stepId, `${text}\n`);
    },
    /** Waits until everything written so far is stored (or the store failed). */
    async flush(): Promise<void> {
      if (!closed) releaseHeldText();
      await flushing;
      await flush();
    },
    async close(): Promise<void> {
      clearInterval(timer);
      if (!closed) releaseHeldText();
      await flushing;
      await flush();
      closed = true;
    },
  };
}

export type LogWriter = ReturnType<typeof createLogWriter>;
