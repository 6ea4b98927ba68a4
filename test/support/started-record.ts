import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * What scripts/ensure-docker.sh started during this test run: it appends "registry <pid> <name>"
 * to the file named by SLIPWAY_STARTED_RECORD for each registry it had to start. Set before the
 * test files run (they inherit the environment), read once they are done.
 */
export function createStartedRecord(): { path: string; stopAll: () => Promise<string[]> } {
  const path = join(tmpdir(), `slipway-test-started-${process.pid}`);
  return {
    path,
    async stopAll() {
      const text = await readFile(path, 'utf8').catch((error: unknown) => {
        if (error instanceof Error && 'code' in error && error.code === 'ENOENT') return '';
        throw error;
      });
      const stopped: string[] = [];
      for (const line of text.split('\n')) {
        const [kind, pid, name] = line.split(' ');
        if (kind !== 'registry' || pid === undefined || !/^\d+$/.test(pid)) continue;
        // Only the process this run started, by its own pid; gone already is fine.
        if (signal(Number(pid))) stopped.push(name ?? pid);
      }
      await rm(path, { force: true });
      return stopped;
    },
  };
}

function signal(pid: number): boolean {
  try {
    process.kill(pid, 'SIGTERM');
    return true;
  } catch (error) {
    if (error instanceof Error && 'code' in error && error.code === 'ESRCH') return false;
    throw error;
  }
}
