/**
 * A Redis server of one test file's own, for fault injection: it can be flushed and restarted for
 * real without touching the shared Redis other test files use. It keeps nothing on disk, so a
 * restart loses every key, like a Redis without persistence that crashed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { freePort } from './free-port.js';

const redisServer = process.env.REDIS_SERVER_BIN ?? '/usr/bin/redis-server';
const readyTimeoutMs = 15_000;
const exitTimeoutMs = 10_000;

export interface RedisProcess {
  readonly port: number;
  readonly url: string;
  /** Deletes every key (FLUSHALL) on this server only. */
  flushAll(): Promise<void>;
  /** Kills the server (SIGKILL) and starts a fresh, empty one on the same port. */
  restart(): Promise<void>;
  /** Kills the server and waits (bounded) for it to exit. */
  stop(): Promise<void>;
}

export async function startRedisProcess(): Promise<RedisProcess> {
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let child = await launch(port);

  async function withClient<T>(use: (client: Redis) => Promise<T>): Promise<T> {
    const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await client.connect();
      return await use(client);
    } finally {
      client.disconnect();
    }
  }

  return {
    port,
    url,
    flushAll: () =>
      withClient(async (client) => {
        await client.flushall();
      }),
    async restart() {
      await kill(child);
      child = await launch(port);
    },
    stop: () => kill(child),
  };
}

async function launch(port: number): Promise<ChildProcess> {
  const child = spawn(
    redisServer,
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--daemonize',
      'no',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(`redis-server on port ${port} not ready within ${readyTimeoutMs} ms:\n${output}`),
      );
    }, readyTimeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(
        new Error(`redis-server exited (${code ?? signal ?? '?'}) before it was ready:\n${output}`),
      );
    });
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
  // Keep draining its output so a full pipe never blocks the server.
  child.stdout.resume();
  child.stderr.resume();
  return child;
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      resolve();
    });
  });
  child.kill('SIGKILL');
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => {
      resolve('timeout');
    }, exitTimeoutMs);
  });
  const outcome = await Promise.race([exited, timeout]);
  clearTimeout(timer);
  if (outcome === 'timeout')
    throw new Error(`redis-server ${child.pid} did not exit after SIGKILL`);
}
