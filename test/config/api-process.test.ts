import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterEach, expect, inject, test } from 'vitest';

const repoRoot = join(import.meta.dirname, '../..');
const tsx = join(repoRoot, 'node_modules/.bin/tsx');
const entry = 'src/main/api.ts';

const running = new Set<ChildProcess>();

afterEach(() => {
  // Only the children this file started, by their own handle.
  for (const child of running) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  running.clear();
});

/** A minimal environment: nothing from the test runner's own (DATABASE_URL included) leaks in. */
function baseEnv(): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', NODE_ENV: 'production' };
}

function start(env: NodeJS.ProcessEnv) {
  const child = spawn(tsx, [entry], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      resolve({ code, signal });
    });
  });
  return {
    child,
    exited,
    output: () => ({ stdout, stderr }),
  };
}

/** Resolves with the exit, or with 'timeout' after `ms` (bounded waiting, no timing assertion). */
function exitWithin(
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>,
  ms: number,
) {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => {
      resolve('timeout');
    }, ms);
  });
  return Promise.race([exited, timeout]).finally(() => {
    clearTimeout(timer);
  });
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) =>
    server.close(() => {
      resolve();
    }),
  );
  if (address === null || typeof address === 'string') throw new Error('no port assigned');
  return address.port;
}

test('without DATABASE_URL the API exits with code 1 and a readable message', async () => {
  const api = start({ ...baseEnv(), REDIS_URL: inject('redisUrl') });
  const result = await exitWithin(api.exited, 30_000);
  const { stderr } = api.output();
  expect(result, stderr).toEqual({ code: 1, signal: null });
  expect(stderr).toMatch(/^\s*DATABASE_URL: is required$/m);
  expect(stderr).not.toMatch(/\n\s+at\s/);
  expect(stderr).not.toMatch(/ZodError|node_modules/);
});

test('with a bad DATABASE_URL scheme and PORT it exits 1, listing both problems', async () => {
  const api = start({
    ...baseEnv(),
    DATABASE_URL: 'mysql://u@h/db',
    REDIS_URL: inject('redisUrl'),
    PORT: 'eighty',
  });
  const result = await exitWithin(api.exited, 30_000);
  const { stderr } = api.output();
  expect(result, stderr).toEqual({ code: 1, signal: null });
  expect(stderr).toMatch(/DATABASE_URL: must be a postgresql:\/\/ URL/);
  expect(stderr).toMatch(/PORT: /);
  expect(stderr).not.toMatch(/\n\s+at\s/);
});

test('SIGTERM shuts the API down gracefully with exit code 0', async () => {
  const port = await freePort();
  const api = start({
    ...baseEnv(),
    DATABASE_URL: inject('postgresAdminUrl'),
    REDIS_URL: inject('redisUrl'),
    HOST: '127.0.0.1',
    PORT: String(port),
    LOG_LEVEL: 'warn',
    SLIPWAY_ADMIN_TOKEN: 'process-test-admin-token-0123456789abcdef',
    SLIPWAY_SECRET_KEY: '0123456789abcdef'.repeat(4),
  });

  let healthy = false;
  // Bounded: at most 150 attempts, 200 ms apart (~30 s), and stop early if the process died.
  for (let attempt = 0; attempt < 150 && !healthy; attempt++) {
    if (api.child.exitCode !== null) break;
    try {
      const res = await fetch(`http://127.0.0.1:${port}/healthz`, {
        signal: AbortSignal.timeout(2000),
      });
      healthy = res.status === 200;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  expect(healthy, `API never answered /healthz: ${api.output().stderr}`).toBe(true);

  const ready = await fetch(`http://127.0.0.1:${port}/readyz`, {
    signal: AbortSignal.timeout(5000),
  });
  expect(ready.status).toBe(200);

  api.child.kill('SIGTERM');
  const result = await exitWithin(api.exited, 20_000);
  expect(result, api.output().stderr).toEqual({ code: 0, signal: null });
  expect(api.output().stderr).not.toMatch(/\n\s+at\s/);

  // And the port is free again.
  await expect(
    fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(2000) }),
  ).rejects.toThrow();
});

/** A complete, valid environment for the API on `port`. */
function runnableEnv(port: number, databaseUrl = inject('postgresAdminUrl')): NodeJS.ProcessEnv {
  return {
    ...baseEnv(),
    DATABASE_URL: databaseUrl,
    REDIS_URL: inject('redisUrl'),
    HOST: '127.0.0.1',
    PORT: String(port),
    LOG_LEVEL: 'warn',
    SLIPWAY_ADMIN_TOKEN: 'process-test-admin-token-0123456789abcdef',
    SLIPWAY_SECRET_KEY: '0123456789abcdef'.repeat(4),
  };
}

/** Start-up is all or nothing (issue 11, item 1): a failed start exits 1, it never lingers. */
const startupBoundMs = 15_000;

test('with its port already taken the API exits 1 (it does not keep running)', async () => {
  const taken = createServer();
  await new Promise<void>((resolve, reject) => {
    taken.once('error', reject);
    taken.listen(0, '127.0.0.1', resolve);
  });
  try {
    const address = taken.address();
    if (address === null || typeof address === 'string') throw new Error('no port assigned');
    const api = start(runnableEnv(address.port));
    const result = await exitWithin(api.exited, startupBoundMs);
    const { stderr } = api.output();
    expect(result, stderr).toEqual({ code: 1, signal: null });
    expect(stderr).toMatch(/failed to start: .*EADDRINUSE/);
    expect(stderr).not.toMatch(/\n\s+at\s/);
  } finally {
    await new Promise<void>((resolve) =>
      taken.close(() => {
        resolve();
      }),
    );
  }
});

test('with an unreachable database the API exits 1 with a readable message', async () => {
  const nobody = await freePort();
  const api = start(runnableEnv(await freePort(), `postgresql://postgres@127.0.0.1:${nobody}/x`));
  const result = await exitWithin(api.exited, startupBoundMs);
  const { stderr } = api.output();
  expect(result, stderr).toEqual({ code: 1, signal: null });
  expect(stderr).toMatch(/failed to start: the database is unreachable/);
  expect(stderr).not.toMatch(/\n\s+at\s|invocation/);
});
