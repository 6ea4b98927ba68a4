/**
 * The real worker (src/main/worker.ts) as a child process, so tests can SIGKILL or SIGTERM it
 * and watch what a fresh one repairs. Its JSON log lines are collected for assertions.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { z } from 'zod';

const repoRoot = join(import.meta.dirname, '../..');
const entry = 'src/main/worker.ts';
/**
 * Node itself with tsx's loader, not the node_modules/.bin/tsx wrapper: the wrapper runs the
 * script in a grandchild process, so a SIGKILL would kill the wrapper and leave the worker alive.
 */
const nodeArgs = ['--import', 'tsx', entry];

/** tsx compiles on start; on a busy 2-core machine that can take a while. */
const defaultReadyTimeoutMs = 60_000;
const defaultExitTimeoutMs = 30_000;

export interface WorkerProcessOptions {
  databaseUrl: string;
  redisUrl: string;
  /** SLIPWAY_INSTANCE: the worker only ever touches containers labelled with it. */
  instance: string;
  /** SLIPWAY_SECRET_KEY (32 bytes), the same the API seals secrets with. */
  secretKey: Buffer;
  /** Added to (and overriding) the defaults below, e.g. { DEPLOYMENT_TIMEOUT_SECONDS: '5' }. */
  env?: Record<string, string>;
  readyTimeoutMs?: number;
  /** False: return at once, without waiting for "worker started" (for start-up failure tests). */
  waitUntilStarted?: boolean;
}

export interface WorkerLogRecord {
  level: number;
  msg: string;
  [key: string]: unknown;
}

export interface WorkerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface WorkerProcess {
  readonly pid: number;
  /** Settles when the process exits. */
  readonly exited: Promise<WorkerExit>;
  isRunning(): boolean;
  /** Its JSON log lines so far. */
  records(): WorkerLogRecord[];
  /** Everything it wrote (stdout and stderr), for failure messages. */
  output(): string;
  /** Resolves with the first log record matching, waiting at most timeoutMs. */
  waitForLog(
    match: (record: WorkerLogRecord) => boolean,
    timeoutMs: number,
  ): Promise<WorkerLogRecord>;
  /** Sends the signal and waits (bounded) for the exit. */
  kill(signal: NodeJS.Signals, timeoutMs?: number): Promise<WorkerExit>;
}

const started = new Set<ChildProcess>();

/**
 * Environment of the child: nothing from the test runner's own leaks in but PATH, HOME and the
 * Docker client settings. Short lost/reconcile intervals keep recovery within a test's patience.
 */
function workerEnv(options: WorkerProcessOptions): NodeJS.ProcessEnv {
  const passThrough = [
    'PATH',
    'HOME',
    'DOCKER_HOST',
    'DOCKER_CONFIG',
    'DOCKER_CERT_PATH',
    'DOCKER_TLS_VERIFY',
  ];
  const inherited = Object.fromEntries(
    passThrough.flatMap((name) => {
      const value = process.env[name];
      return value === undefined ? [] : [[name, value]];
    }),
  );
  return {
    ...inherited,
    NODE_ENV: 'production',
    DATABASE_URL: options.databaseUrl,
    REDIS_URL: options.redisUrl,
    SLIPWAY_INSTANCE: options.instance,
    SLIPWAY_SECRET_KEY: options.secretKey.toString('hex'),
    LOG_LEVEL: 'info',
    WORKER_CONCURRENCY: '2',
    WORKER_LOST_AFTER_SECONDS: '3',
    RECONCILE_INTERVAL_SECONDS: '1',
    WORKER_DRAIN_TIMEOUT_SECONDS: '10',
    DEPLOYMENT_TIMEOUT_SECONDS: '600',
    WORKER_METRICS_PORT: '0',
    ...options.env,
  };
}

export async function startWorkerProcess(options: WorkerProcessOptions): Promise<WorkerProcess> {
  const child = spawn(process.execPath, nodeArgs, {
    cwd: repoRoot,
    env: workerEnv(options),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.add(child);
  const pid = child.pid;
  if (pid === undefined) throw new Error('the worker process did not start');

  let output = '';
  let partial = '';
  const records: WorkerLogRecord[] = [];
  const waiters = new Set<{
    match: (record: WorkerLogRecord) => boolean;
    resolve: (record: WorkerLogRecord) => void;
  }>();

  const onRecord = (record: WorkerLogRecord) => {
    records.push(record);
    for (const waiter of waiters) {
      if (waiter.match(record)) {
        waiters.delete(waiter);
        waiter.resolve(record);
      }
    }
  };
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
    partial += chunk;
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      const record = parseRecord(line);
      if (record !== null) onRecord(record);
    }
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
  });
  const exited = new Promise<WorkerExit>((resolve) => {
    child.once('exit', (code, signal) => {
      resolve({ code, signal });
    });
  });

  const isRunning = () => child.exitCode === null && child.signalCode === null;

  function waitForLog(
    match: (record: WorkerLogRecord) => boolean,
    timeoutMs: number,
  ): Promise<WorkerLogRecord> {
    const seen = records.find(match);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const waiter = {
        match,
        resolve: (record: WorkerLogRecord) => {
          clearTimeout(timer);
          resolve(record);
        },
      };
      const timer = setTimeout(() => {
        waiters.delete(waiter);
        reject(
          new Error(
            `worker ${pid}: no matching log line within ${timeoutMs} ms\n${output.slice(-4000)}`,
          ),
        );
      }, timeoutMs);
      waiters.add(waiter);
      void exited.then((exit) => {
        if (!waiters.delete(waiter)) return;
        clearTimeout(timer);
        reject(
          new Error(
            `worker ${pid} exited (${exit.code ?? exit.signal ?? '?'}) before a matching log line\n${output.slice(-4000)}`,
          ),
        );
      });
    });
  }

  async function kill(
    signal: NodeJS.Signals,
    timeoutMs = defaultExitTimeoutMs,
  ): Promise<WorkerExit> {
    if (isRunning()) child.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => {
        resolve('timeout');
      }, timeoutMs);
    });
    const outcome = await Promise.race([exited, timeout]);
    clearTimeout(timer);
    if (outcome !== 'timeout') return outcome;
    // Never leave it behind: a worker that ignores the signal is killed outright.
    child.kill('SIGKILL');
    throw new Error(
      `worker ${pid} did not exit within ${timeoutMs} ms of ${signal}\n${output.slice(-4000)}`,
    );
  }

  try {
    if (options.waitUntilStarted !== false)
      await waitForLog(
        (record) => record.msg === 'worker started',
        options.readyTimeoutMs ?? defaultReadyTimeoutMs,
      );
  } catch (error) {
    if (isRunning()) child.kill('SIGKILL');
    throw error;
  }

  return {
    pid,
    exited,
    isRunning,
    records: () => [...records],
    output: () => output,
    waitForLog,
    kill,
  };
}

/** SIGKILLs every worker this test file started that is still running (for afterAll). */
export function killLeftoverWorkers(): void {
  for (const child of started) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  started.clear();
}

const logRecordSchema = z.looseObject({ level: z.number(), msg: z.string() });

/** A pino JSON line, or null for anything else the process printed (e.g. a Node warning). */
function parseRecord(line: string): WorkerLogRecord | null {
  if (!line.startsWith('{')) return null;
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    if (error instanceof SyntaxError) return null;
    throw error;
  }
  const parsed = logRecordSchema.safeParse(value);
  return parsed.success ? parsed.data : null;
}
