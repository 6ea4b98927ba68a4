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

describe('log writer masks per output stream', () => {
  const secret = 'CANARY-6c25b65c7da464058a004';

  test('stdout half, a stderr line, stdout other half: the secret is stored nowhere', async () => {
    const { store, chunks, textOf } = memoryStore();
    const log = writer(store, [secret]);
    log.write('step-1', `interleaved:${secret.slice(0, 15)}`, 'stdout');
    await new Promise((resolve) => setTimeout(resolve, 20));
    log.write('step-1', ' warning\n', 'stderr');
    await new Promise((resolve) => setTimeout(resolve, 20));
    log.write('step-1', `${secret.slice(15)}\n`, 'stdout');
    await log.close();
    expect(textOf('step-1')).toBe('interleaved: warning\n*****\n');
    for (const chunk of chunks) {
      expect(chunk.text).not.toContain(secret.slice(0, 15));
      expect(chunk.text).not.toContain(secret.slice(15));
    }
  });

  test('a worker line releases what the step held back first, keeping the order', async () => {
    const { store, textOf } = memoryStore();
    const log = writer(store, ['hunter22']);
    log.write('step-1', 'output ends in hunt', 'stdout');
    log.write('step-1', 'err hun', 'stderr');
    log.line('step-1', 'exited with code 1 (hunter22)');
    log.write('step-2', 'other step hunt', 'stdout');
    await log.flush();
    expect(textOf('step-1')).toBe('output ends in err hunthunexited with code 1 (*****)\n');
    expect(textOf('step-2')).toBe('other step hunt');
    await log.close();
  });

  test('redact() masks a complete text with the deployment’s secrets', async () => {
    const { store, chunks } = memoryStore();
    const log = writer(store, ['hunter22', 'REGPW-abcdef']);
    expect(log.redact('pull failed: 401 reguser:REGPW-abcdef')).toBe(
      'pull failed: 401 reguser:*****',
    );
    expect(log.redact('release command exited: hunter22hunter22')).toBe(
      'release command exited: **********',
    );
    expect(log.redact('nothing secret')).toBe('nothing secret');
    await log.close();
    // redact() only returns text; it writes nothing to the log.
    expect(chunks).toEqual([]);
  });
});
