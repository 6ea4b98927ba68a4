import { describe, expect, test } from 'vitest';
import type { LogChunkToStore, LogStore } from '../../src/pipeline/deployment-store.js';
import { createLogWriter } from '../../src/pipeline/log-writer.js';

function memoryStore() {
  const chunks: LogChunkToStore[] = [];
  const store: LogStore = {
    append: async (batch) => {
      chunks.push(...batch);
      return batch.map((_, index) => BigInt(chunks.length - batch.length + index + 1));
    },
    dropTail: async () => {},
  };
  const textOf = (stepId: string | null) =>
    chunks
      .filter((chunk) => chunk.stepId === stepId)
      .map((chunk) => chunk.text)
      .join('');
  return { store, chunks, textOf };
}

function writer(store: LogStore, secrets: string[]) {
  return createLogWriter({
    deploymentId: 'd',
    store,
    secrets,
    flushIntervalMs: 5,
    onFlushError: (error) => {
      throw error;
    },
  });
}

describe('log writer masks secrets before anything is stored', () => {
  test('a secret split across writes, with timer flushes in between, is never stored', async () => {
    const { store, chunks, textOf } = memoryStore();
    const log = writer(store, ['s3cr3t-canary-value']);
    log.write('step-1', 'DB password is s3cr3t-');
    await new Promise((resolve) => setTimeout(resolve, 30));
    log.write('step-1', 'canary');
    await new Promise((resolve) => setTimeout(resolve, 30));
    log.write('step-1', '-value, done\n');
    await log.flush();
    expect(textOf('step-1')).toBe('DB password is *****, done\n');
    for (const chunk of chunks) {
      expect(chunk.text).not.toMatch(/s3cr3t|canary/);
    }
    await log.close();
  });

  test('held-back text is released by flush() at the end of a step, and by close()', async () => {
    const { store, textOf } = memoryStore();
    const log = writer(store, ['hunter22']);
    log.write('step-1', 'ends with hunt');
    await log.flush();
    expect(textOf('step-1')).toBe('ends with hunt');
    log.line(null, 'deployment-level hunter22');
    log.write('step-2', 'hunter');
    await log.close();
    expect(textOf(null)).toBe('deployment-level *****\n');
    expect(textOf('step-2')).toBe('hunter');
  });

  test('steps are masked independently: one step cannot complete another step’s secret', async () => {
    const { store, textOf } = memoryStore();
    const log = writer(store, ['hunter22']);
    log.write('step-1', 'hunter');
    log.write('step-2', '22 hunter22');
    await log.close();
    expect(textOf('step-1')).toBe('hunter');
    expect(textOf('step-2')).toBe('22 *****');
  });

  test('without secrets the output is stored as written', async () => {
    const { store, textOf } = memoryStore();
    const log = writer(store, []);
    log.write('step-1', 'plain output\n');
    await log.close();
    expect(textOf('step-1')).toBe('plain output\n');
  });
});
