/**
 * Runs one HAProxy in master-worker mode as a child process: start, reload (SIGUSR2 to the
 * master; the new worker takes the listeners over) and stop. Every wait is bounded. Used by the
 * ingress tests, and by Slipway when it supervises HAProxy itself.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { IngressError } from './ingress-error.js';
import { createRuntimeApi, type RuntimeApi } from './runtime-api.js';

export interface HaproxyProcessOptions {
  configFile: string;
  adminSocket: string;
  /** Default "haproxy" on PATH. */
  binary?: string;
  /** Bound on start and on reload; default 10 s. */
  readyTimeoutMs?: number;
  /** More command-line arguments (e.g. `-p <pid file>`). */
  extraArgs?: string[];
}

export interface HaproxyProcess {
  /** The master's pid. */
  readonly pid: number;
  readonly api: RuntimeApi;
  /** Re-reads the config and map files; resolves once a new worker answers. */
  reload(): Promise<void>;
  /** Stops HAProxy (SIGTERM, then SIGKILL after the bound) and waits until it has exited. */
  stop(): Promise<void>;
  /** The last lines HAProxy wrote (its own log), for error messages. */
  output(): string;
  /** Settles when the master has exited, asked to or not (a supervisor restarts it then). */
  readonly exited: Promise<void>;
}

const pollMs = 50;
const outputLimit = 16_000;

export async function startHaproxy(options: HaproxyProcessOptions): Promise<HaproxyProcess> {
  const readyTimeoutMs = options.readyTimeoutMs ?? 10_000;
  const api = createRuntimeApi({ socketPath: options.adminSocket, timeoutMs: 1000 });
  // -W master-worker, -db stay in the foreground so this process supervises it.
  const child = spawn(
    options.binary ?? 'haproxy',
    ['-W', '-db', '-f', options.configFile, ...(options.extraArgs ?? [])],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  const launch = { error: null as Error | null };
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-outputLimit);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      resolve();
    });
    // E.g. ENOENT: HAProxy is not installed (scripts/ensure-haproxy.sh installs it).
    child.once('error', (error) => {
      launch.error = error;
      keep(Buffer.from(`${error.message}\n`));
      resolve();
    });
  });
  const pid = child.pid;
  try {
    await waitUntil(readyTimeoutMs, child, async () => {
      await api.showInfo();
      return true;
    });
  } catch (error) {
    await kill(child, exited);
    throw new IngressError(
      'INGRESS_UNAVAILABLE',
      launch.error === null
        ? `HAProxy did not start: ${describe(error)}\n${output}`
        : `HAProxy did not start: cannot run HAProxy: ${launch.error.message}`,
    );
  }
  if (pid === undefined) throw new IngressError('INGRESS_UNAVAILABLE', 'HAProxy has no pid');

  return {
    pid,
    api,
    async reload() {
      const before = (await api.showInfo()).pid;
      const mark = output.length;
      child.kill('SIGUSR2');
      await waitUntil(readyTimeoutMs, child, async () => {
        if (output.slice(mark).includes('Loading failure')) {
          throw new IngressError(
            'INGRESS_COMMAND_FAILED',
            `HAProxy refused the new config:\n${output.slice(mark)}`,
          );
        }
        return (await api.showInfo().catch(() => ({ pid: before }))).pid !== before;
      });
    },
    stop: () => kill(child, exited),
    output: () => output,
    exited,
  };
}

/** Polls check until it says true, the child exits, or the budget is spent. */
async function waitUntil(
  budgetMs: number,
  child: ChildProcess,
  check: () => Promise<boolean>,
): Promise<void> {
  const deadline = Date.now() + budgetMs;
  let last: unknown = null;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new IngressError(
        'INGRESS_UNAVAILABLE',
        `HAProxy exited (${child.exitCode ?? child.signalCode})`,
      );
    }
    try {
      if (await check()) return;
    } catch (error) {
      if (error instanceof IngressError && error.code === 'INGRESS_COMMAND_FAILED') throw error;
      last = error;
    }
    if (Date.now() >= deadline) {
      throw new IngressError(
        'INGRESS_TIMEOUT',
        `HAProxy not ready within ${budgetMs} ms (${describe(last)})`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

async function kill(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
