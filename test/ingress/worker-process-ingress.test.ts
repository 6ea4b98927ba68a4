/**
 * The real worker process (src/main/worker.ts via tsx) with SLIPWAY_INGRESS set: it refuses to
 * start, with exit code 1 and a message naming the setting, when HAProxy cannot be run or
 * reached, and leaves nothing running then; with a usable HAProxy it starts it, routes, and
 * stops it on SIGTERM.
 */
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { inject } from 'vitest';
import { notFoundBody } from '../../src/ingress/haproxy-config.js';
import { freePort } from '../support/free-port.js';
import {
  ingressConfigForTest,
  ingressGet,
  processesMentioning,
} from '../support/harness-ingress.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import {
  killLeftoverWorkers,
  startWorkerProcess,
  type WorkerExit,
  type WorkerProcess,
} from '../support/worker-process.js';

let database: TestDatabase;
const dirs: string[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
});

afterAll(async () => {
  killLeftoverWorkers();
  for (const dir of dirs) {
    // Asserted per test too; here so that no failed test leaves a HAProxy behind unnoticed.
    expect(await processesMentioning(dir)).toEqual([]);
    await rm(dir, { recursive: true, force: true });
  }
  await database.drop();
});

async function worker(
  env: Record<string, string>,
  waitUntilStarted: boolean,
  reuse?: { stateDir: string; port: number },
): Promise<{ process: WorkerProcess; stateDir: string; port: number }> {
  const config = ingressConfigForTest(reuse?.port ?? (await freePort()), null);
  if (reuse !== undefined) {
    await rm(config.stateDir, { recursive: true, force: true });
    config.stateDir = reuse.stateDir;
  }
  dirs.push(config.stateDir);
  const process = await startWorkerProcess({
    databaseUrl: database.url,
    redisUrl: inject('redisUrl'),
    instance: `test-${randomBytes(4).toString('hex')}`,
    secretKey: Buffer.alloc(32, 7),
    env: {
      SLIPWAY_QUEUE_PREFIX: `ingress-${randomBytes(4).toString('hex')}`,
      SLIPWAY_INGRESS: 'supervise',
      SLIPWAY_INGRESS_BIND: '127.0.0.1',
      SLIPWAY_INGRESS_HTTP_PORT: String(config.bind.port),
      SLIPWAY_INGRESS_STATE_DIR: config.stateDir,
      ...env,
    },
    waitUntilStarted,
  });
  return { process, stateDir: config.stateDir, port: config.bind.port };
}

async function exitWithin(
  exited: Promise<WorkerExit>,
  ms: number,
): Promise<WorkerExit | 'running'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'running'>((resolve) => {
    timer = setTimeout(() => {
      resolve('running');
    }, ms);
  });
  const outcome = await Promise.race([exited, timeout]);
  clearTimeout(timer);
  return outcome;
}

async function listening(): Promise<{ server: Server; port: number }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('not listening');
  return { server, port: address.port };
}

describe('the worker refuses to start when the ingress cannot run', () => {
  test('HAProxy binary missing: exit 1 naming SLIPWAY_HAPROXY_BINARY', async () => {
    const { process, stateDir } = await worker(
      { SLIPWAY_HAPROXY_BINARY: '/nonexistent/haproxy' },
      false,
    );
    expect(await exitWithin(process.exited, 45_000)).toEqual({ code: 1, signal: null });
    expect(process.output()).toContain(
      'SLIPWAY_HAPROXY_BINARY (/nonexistent/haproxy) cannot be run',
    );
    expect(process.output()).toContain('apt-get install haproxy');
    expect(process.output()).not.toMatch(/\n\s+at /);
    expect(await processesMentioning(stateDir)).toEqual([]);
  }, 60_000);

  test('HTTP port taken: exit 1 naming SLIPWAY_INGRESS_HTTP_PORT, no HAProxy left', async () => {
    const { server, port } = await listening();
    try {
      const { process, stateDir } = await worker(
        { SLIPWAY_INGRESS_HTTP_PORT: String(port) },
        false,
      );
      expect(await exitWithin(process.exited, 45_000)).toEqual({ code: 1, signal: null });
      expect(process.output()).toContain(`cannot listen on 127.0.0.1:${port}`);
      expect(process.output()).toContain('SLIPWAY_INGRESS_HTTP_PORT');
      expect(await processesMentioning(stateDir)).toEqual([]);
    } finally {
      server.close();
    }
  }, 60_000);

  test('external HAProxy unreachable: exit 1 naming the socket settings', async () => {
    const { process } = await worker(
      { SLIPWAY_INGRESS: 'external', SLIPWAY_INGRESS_CONNECT_TIMEOUT_SECONDS: '1' },
      false,
    );
    expect(await exitWithin(process.exited, 45_000)).toEqual({ code: 1, signal: null });
    expect(process.output()).toContain('SLIPWAY_INGRESS=external, but HAProxy did not answer');
    expect(process.output()).toContain('SLIPWAY_INGRESS_ADMIN_SOCKET');
  }, 60_000);
});

describe('the worker with SLIPWAY_INGRESS=supervise', () => {
  test('starts HAProxy, answers through it, and stops it on SIGTERM', async () => {
    const { process, stateDir, port } = await worker({}, true);
    const started = process.records().find((record) => record.msg === 'worker started');
    const pid = Number(started?.haproxyPid);
    expect(pid).toBeGreaterThan(1);
    const res = await ingressGet(port, 'nobody.example.test');
    expect(res).toEqual({ status: 404, body: `${notFoundBody}\n`, retryAfter: null });
    expect((await processesMentioning(stateDir)).length).toBeGreaterThan(0);

    expect(await process.kill('SIGTERM')).toEqual({ code: 0, signal: null });
    expect(await processesMentioning(stateDir)).toEqual([]);
    expect(() => globalThis.process.kill(pid, 0)).toThrow();
  }, 90_000);

  test('a HAProxy left by a worker killed with SIGKILL is stopped by the next worker', async () => {
    const first = await worker({}, true);
    const pid = Number(
      first.process.records().find((record) => record.msg === 'worker started')?.haproxyPid,
    );
    await first.process.kill('SIGKILL');
    // The child outlives its parent: it still holds the port and the state dir.
    expect(() => globalThis.process.kill(pid, 0)).not.toThrow();
    expect((await ingressGet(first.port, 'nobody.example.test')).status).toBe(404);

    const second = await worker({}, true, { stateDir: first.stateDir, port: first.port });
    const newPid = Number(
      second.process.records().find((record) => record.msg === 'worker started')?.haproxyPid,
    );
    expect(newPid).not.toBe(pid);
    // Gone (a zombie, if nothing reaps it, has no command line any more).
    expect(await processesMentioning(first.stateDir)).not.toContain(pid);
    expect((await ingressGet(second.port, 'nobody.example.test')).status).toBe(404);
    expect(await second.process.kill('SIGTERM')).toEqual({ code: 0, signal: null });
    expect(await processesMentioning(first.stateDir)).toEqual([]);
  }, 120_000);
});
