import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { sleep } from './clock.js';

/** A child process whose output goes straight to a file, so reading it costs this process nothing. */
export interface ChildHandle {
  name: string;
  pid: number;
  logFile: string;
  /** Resolves with the exit code (or signal name) when the process ends. */
  exited: Promise<string>;
  isRunning: () => boolean;
  /** The last lines of its output, for error messages. */
  logTail: (lines?: number) => string;
  /** SIGTERM, then SIGKILL after graceMs. */
  stop: (graceMs?: number) => Promise<void>;
  /** Current and peak resident memory in MiB from /proc (null once it has ended). */
  memory: () => { rssMiB: number; peakRssMiB: number } | null;
}

export function spawnLogged(
  name: string,
  args: readonly string[],
  options: { env: NodeJS.ProcessEnv; cwd: string; logFile: string },
): ChildHandle {
  const fd = openSync(options.logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(process.execPath, args, {
      cwd: options.cwd,
      env: options.env,
      stdio: ['ignore', fd, fd],
    });
  } finally {
    closeSync(fd);
  }
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${name}`);
  let running = true;
  // A function, not the variable, where it is read after an await: it changes meanwhile.
  const isRunning = () => running;
  const exited = new Promise<string>((resolve) => {
    child.once('exit', (code, signal) => {
      running = false;
      resolve(signal ?? String(code));
    });
    child.once('error', (error) => {
      running = false;
      resolve(`error: ${error.message}`);
    });
  });

  const logTail = (lines = 30) => {
    try {
      return readFileSync(options.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no output)';
    }
  };

  return {
    name,
    pid,
    logFile: options.logFile,
    exited,
    isRunning,
    logTail,
    async stop(graceMs = 15_000) {
      if (!isRunning()) return;
      child.kill('SIGTERM');
      const timer = sleep(graceMs).then(() => 'timeout' as const);
      if ((await Promise.race([exited, timer])) === 'timeout' && isRunning()) {
        child.kill('SIGKILL');
        await exited;
      }
    },
    memory() {
      try {
        const status = readFileSync(`/proc/${pid}/status`, 'utf8');
        const kib = (field: string) =>
          Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]);
        return { rssMiB: kib('VmRSS') / 1024, peakRssMiB: kib('VmHWM') / 1024 };
      } catch {
        return null;
      }
    },
  };
}
