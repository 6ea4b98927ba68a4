/**
 * Preloaded into an API process by bench/api-memory.ts (node --expose-gc --import this file): on
 * SIGUSR2 it runs a full garbage collection and writes process.memoryUsage() to
 * BENCH_MEMORY_FILE; with BENCH_HEAP_SNAPSHOT_DIR set it also writes a heap snapshot there, to
 * see what is retained. Only type annotations, so Node runs it without a compiler.
 */
import { writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { writeHeapSnapshot } from 'node:v8';

const file = process.env.BENCH_MEMORY_FILE;
const snapshotDir = process.env.BENCH_HEAP_SNAPSHOT_DIR;
const collect = (globalThis as { gc?: () => void }).gc;
let sequence = 0;

if (file !== undefined && collect !== undefined) {
  process.on('SIGUSR2', () => {
    sequence += 1;
    // Twice: the first pass can leave garbage that only finalizers of the first made unreachable.
    collect();
    collect();
    const usage = process.memoryUsage();
    const snapshot =
      snapshotDir === undefined
        ? null
        : writeHeapSnapshot(
            join(snapshotDir, `api-${String(process.pid)}-${String(sequence)}.heapsnapshot`),
          );
    writeFileSync(`${file}.tmp`, JSON.stringify({ sequence, ...usage, snapshot }));
    renameSync(`${file}.tmp`, file);
  });
}
