import type { LogChunkToStore } from './deployment-store.js';

/** What is known of one step's log: how much head is used, which tail chunks are stored. */
export interface StepBudget {
  headUsed: number;
  /** Tail chunks already stored, oldest first, so the oldest can be dropped when over budget. */
  storedTail: { id: bigint; bytes: number }[];
  storedTailBytes: number;
  /** Bytes dropped from memory before they were stored, not yet counted in the database. */
  omittedPending: number;
}

export type PendingChunk = LogChunkToStore & { bytes: number };

export interface LogBufferOptions {
  deploymentId: string;
  headBytes: number;
  tailBytes: number;
}

/**
 * Chunks grow to half the tail budget (never below 64 KiB): during a flood each flush rewrites
 * the step's moving tail, and with 64 KiB rows that cost about 16 rows per 1 MiB tail per flush
 * (5 rows per MiB printed). Half the budget keeps it to about two rows per flush, while the
 * in-memory tail still drops whole chunks within its budget.
 */
const minChunkBytes = 64 * 1024;

/**
 * Output not yet stored, per step cut into a head (the first headBytes, kept whole) and a moving
 * tail (at most about tailBytes kept in memory), so a chatty command cannot fill the memory.
 */
export function createLogBuffer(options: LogBufferOptions) {
  const { deploymentId, headBytes, tailBytes } = options;
  const maxChunkBytes = Math.max(minChunkBytes, Math.floor(tailBytes / 2));
  const budgets = new Map<string, StepBudget>();
  let pending: PendingChunk[] = [];

  function budgetOf(stepId: string): StepBudget {
    let budget = budgets.get(stepId);
    if (budget === undefined) {
      budget = { headUsed: 0, storedTail: [], storedTailBytes: 0, omittedPending: 0 };
      budgets.set(stepId, budget);
    }
    return budget;
  }

  function append(stepId: string | null, text: string): void {
    if (text === '') return;
    const bytes = Buffer.byteLength(text);
    if (stepId === null) {
      pending.push({ deploymentId, stepId, part: 'head', text, bytes });
      return;
    }
    const budget = budgetOf(stepId);
    const part = budget.headUsed < headBytes ? 'head' : 'tail';
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
    while (pendingTail > tailBytes) {
      const index = pending.findIndex((chunk) => chunk.stepId === stepId && chunk.part === 'tail');
      const oldest = pending[index];
      if (oldest === undefined || pendingTail - oldest.bytes < tailBytes / 2) break;
      pending.splice(index, 1);
      pendingTail -= oldest.bytes;
      budget.omittedPending += oldest.bytes;
    }
  }

  return {
    append,
    budgetOf,
    budgets: (): IterableIterator<[string, StepBudget]> => budgets.entries(),
    /** Takes everything pending, to be stored as one batch. */
    take(): PendingChunk[] {
      const batch = pending;
      pending = [];
      return batch;
    },
    /** Puts a batch that could not be stored back in front, so nothing is lost or reordered. */
    restore(batch: PendingChunk[]): void {
      pending = [...batch, ...pending];
    },
  };
}

export type LogBuffer = ReturnType<typeof createLogBuffer>;
