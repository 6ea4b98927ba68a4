import type { LogStore } from './deployment-store.js';
import type { LogBuffer, PendingChunk } from './log-buffer.js';

export interface LogFlusherOptions {
  buffer: LogBuffer;
  store: LogStore;
  tailBytes: number;
  onFlushError: (error: unknown) => void;
}

/**
 * Writes the buffer to the store, one flush at a time, and keeps each step's stored tail within
 * its budget. Errors go to onFlushError; whatever failed is tried again at the next flush.
 */
export function createLogFlusher(options: LogFlusherOptions) {
  const { buffer, store, tailBytes } = options;
  let flushing: Promise<void> | null = null;

  /** Stores a batch; on failure nothing of it counts as stored, so it can be retried as a whole. */
  async function appendBatch(batch: PendingChunk[]): Promise<void> {
    const ids = await store.append(batch.map(({ bytes: _bytes, ...chunk }) => chunk));
    for (const [index, chunk] of batch.entries()) {
      const id = ids[index];
      if (chunk.part !== 'tail' || chunk.stepId === null || id === undefined) continue;
      const budget = buffer.budgetOf(chunk.stepId);
      budget.storedTail.push({ id, bytes: chunk.bytes });
      budget.storedTailBytes += chunk.bytes;
    }
  }

  /**
   * Drops stored tail chunks beyond each step's budget. State changes only after the store
   * confirms, so a failed drop is simply tried again at the next flush (never counted twice).
   */
  async function trimStoredTails(): Promise<void> {
    for (const [stepId, budget] of buffer.budgets()) {
      let count = 0;
      let bytes = 0;
      let upToId: bigint | null = null;
      while (budget.storedTailBytes - bytes > tailBytes && count < budget.storedTail.length - 1) {
        const oldest = budget.storedTail[count];
        // Never below half the budget: a big chunk followed by a tiny one (the last line, written
        // apart) must not leave only that line as the step's tail.
        if (oldest === undefined || budget.storedTailBytes - bytes - oldest.bytes < tailBytes / 2) {
          break;
        }
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
    const batch = buffer.take();
    if (batch.length > 0) {
      try {
        await appendBatch(batch);
      } catch (error) {
        buffer.restore(batch);
        throw error;
      }
    }
    await trimStoredTails();
  }

  /** Starts a flush unless one runs; resolves when that flush is over (never rejects). */
  function flush(): Promise<void> {
    flushing ??= flushOnce()
      .catch(options.onFlushError)
      .finally(() => {
        flushing = null;
      });
    return flushing;
  }

  return {
    flush,
    /** Waits for the running flush, then flushes what was written since it started. */
    async flushAll(): Promise<void> {
      await flushing;
      await flush();
    },
  };
}
