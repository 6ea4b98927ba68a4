import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A worker killed with SIGKILL cannot stop its HAProxy child, which then keeps the HTTP port and
 * the admin socket. Before starting one, the master named in the pid file is stopped, but only
 * when its command line shows it runs this very config file (a reused pid is left alone). Linux
 * (/proc); elsewhere nothing is found and nothing is stopped.
 */
export async function stopLeftoverHaproxy(pidFile: string, configFile: string): Promise<boolean> {
  const pid = Number((await readOptional(pidFile))?.trim() ?? '');
  if (!Number.isInteger(pid) || pid <= 1) return false;
  if (!(await runsConfig(pid, configFile))) return false;
  signal(pid, 'SIGTERM');
  // Bounded: 5 s for a graceful stop, then SIGKILL and 2 s more.
  for (let waited = 0; waited < 7000; waited += 100) {
    if (!(await runsConfig(pid, configFile))) return true;
    if (waited === 5000) signal(pid, 'SIGKILL');
    await sleep(100);
  }
  return true;
}

async function runsConfig(pid: number, configFile: string): Promise<boolean> {
  const cmdline = await readOptional(`/proc/${pid}/cmdline`);
  if (cmdline === null) return false;
  const args = cmdline.split('\0');
  // A zombie has an empty command line: it is gone for our purposes.
  return args.some((arg) => /haproxy/.test(arg)) && args.includes(configFile);
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch (error) {
    if (!isErrno(error, 'ESRCH')) throw error;
  }
}

export async function readOptional(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return null;
    throw error;
  }
}

export function isErrno(error: unknown, code: string): boolean {
  return error instanceof Error && 'code' in error && error.code === code;
}
