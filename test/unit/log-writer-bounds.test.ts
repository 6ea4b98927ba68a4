import { describe, expect, test } from 'vitest';
import type { LogStore } from '../../src/pipeline/deployment-store.js';
import { createLogWriter } from '../../src/pipeline/log-writer.js';

/** An in-memory LogStore that behaves like the table: ids grow, tail drops delete rows. */
function tableStore(options: { failDropTimes?: number } = {}) {
  const rows = new Map<bigint, { stepId: string | null; part: string; text: string }>();
  const omitted = new Map<string, number>();
  let nextId = 1n;
  let failDrops = options.failDropTimes ?? 0;
  let appends = 0;
  const store: LogStore = {
    append: async (batch) => {
      appends += 1;
      return batch.map((chunk) => {
        const id = nextId++;
        rows.set(id, { stepId: chunk.stepId, part: chunk.part, text: chunk.text });
        return id;
      });
    },
    dropTail: async (stepId, upToId, omittedBytes) => {
      if (failDrops > 0) {
        failDrops -= 1;
        throw new Error('connection terminated');
      }
      for (const [id, row] of rows) {
        if (row.stepId === stepId && row.part === 'tail' && upToId !== null && id <= upToId) {
          rows.delete(id);
        }
      }
      omitted.set(stepId, (omitted.get(stepId) ?? 0) + omittedBytes);
    },
  };
  const stored = (stepId: string, part: string) =>
    [...rows.values()]
      .filter((row) => row.stepId === stepId && row.part === part)
      .map((row) => row.text)
      .join('');
  return { store, stored, omitted, appendCount: () => appends };
}

const line = (n: number) => `line ${String(n).padStart(6, '0')} ${'x'.repeat(87)}\n`; // 100 bytes

describe('log writer keeps each step log bounded', () => {
  test('keeps the head and the tail, and counts exactly what it cut', async () => {
    const { store, stored, omitted } = tableStore();
    const errors: unknown[] = [];
    const log = createLogWriter({
      deploymentId: 'd',
      store,
      headBytes: 1000,
      tailBytes: 2000,
      flushIntervalMs: 1,
      onFlushError: (error) => errors.push(error),
    });
    let written = 0;
    for (let n = 0; n < 500; n++) {
      log.write('s', line(n));
      written += 100;
      if (n % 50 === 0) await log.flush();
    }
    await log.close();
    expect(errors).toEqual([]);
    const head = stored('s', 'head');
    const tail = stored('s', 'tail');
    expect(head.startsWith(line(0))).toBe(true);
    expect(tail.endsWith(line(499))).toBe(true);
    expect(Buffer.byteLength(tail)).toBeLessThanOrEqual(2000 + 64 * 1024);
    expect(Buffer.byteLength(head) + Buffer.byteLength(tail) + (omitted.get('s') ?? 0)).toBe(
      written,
    );
  });

  test('a failed tail trim is retried without storing any output twice', async () => {
    const { store, stored, omitted, appendCount } = tableStore({ failDropTimes: 2 });
    const errors: unknown[] = [];
    const log = createLogWriter({
      deploymentId: 'd',
      store,
      headBytes: 200,
      tailBytes: 300,
      flushIntervalMs: 1,
      onFlushError: (error) => errors.push(error),
    });
    let written = 0;
    for (let n = 0; n < 40; n++) {
      log.write('s', line(n));
      written += 100;
      await log.flush();
    }
    await log.close();
    expect(errors.length).toBe(2);
    const all = stored('s', 'head') + stored('s', 'tail');
    const numbers = [...all.matchAll(/line (\d+)/g)].map((match) => Number(match[1]));
    expect(new Set(numbers).size).toBe(numbers.length);
    expect(numbers).toEqual([...numbers].sort((a, b) => a - b));
    expect(Buffer.byteLength(all) + (omitted.get('s') ?? 0)).toBe(written);
    expect(appendCount()).toBeGreaterThan(0);
  });

  test('a tiny last write after a big stored tail chunk does not become the whole tail', async () => {
    const { store, stored } = tableStore();
    const log = createLogWriter({
      deploymentId: 'd',
      store,
      headBytes: 1000,
      tailBytes: 4000,
      flushIntervalMs: 60_000,
      onFlushError: (error) => {
        throw error;
      },
    });
    // The head fills first; then one big tail chunk (bigger than the tail budget) is stored...
    log.write('s', line(0).repeat(10));
    let big = '';
    for (let n = 1; n <= 70; n += 1) big += line(n);
    log.write('s', big);
    await log.flush();
    // ...then the last line arrives on its own.
    log.write('s', 'LAST\n');
    await log.close();
    const tail = stored('s', 'tail');
    expect(tail.endsWith(`${line(70)}LAST\n`)).toBe(true);
    expect(Buffer.byteLength(tail)).toBeGreaterThanOrEqual(2000);
  });
});
